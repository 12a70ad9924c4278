"""The Socket.IO server.

The async backend comes from ``async_mode``: eventlet for ``lti-tool serve``, gevent under
gunicorn, threading in tests. With ``redis_url`` set, Redis is the message queue, so a room
spread over several processes still hears every message.
"""

from __future__ import annotations

from flask import Flask
from flask_socketio import SocketIO

from lti_tool.realtime import diagnostics

socketio = SocketIO()


def init_app(app: Flask) -> None:
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["REDIS_URL"] or None,
        # The room page is served by the tool itself, even inside an LMS iframe, so
        # same-origin (the default) is all the browser client needs.
    )
    if app.config["REALTIME_DIAGNOSTICS"]:
        socketio.on_namespace(diagnostics.DiagnosticsNamespace(diagnostics.NAMESPACE))
