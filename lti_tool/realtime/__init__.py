"""The Socket.IO server.

The async backend comes from ``async_mode``: eventlet for ``lti-tool serve``, gevent under
gunicorn, threading in tests. With ``redis_url`` set, Redis is the message queue, so a room
spread over several processes still hears every message.

Redis going away does not stop a process: an emit still reaches the sockets of this process
(the queue delivers locally before it publishes), only the other processes miss it.
:func:`last_emit_reach` tells a handler which of the two happened, so it can say so.
"""

from __future__ import annotations

import threading
import typing as t

import socketio as python_socketio
from flask import Flask
from flask_socketio import SocketIO

from lti_tool.realtime import diagnostics
from lti_tool.redis_health import report_unreachable

socketio = SocketIO()
#: Matches Flask-SocketIO's own default, so processes set up either way share one channel.
CHANNEL = "flask-socketio"
#: An unreachable host fails a publish in this long instead of hanging the handler. There is
#: no read timeout: the subscriber's connection is idle between messages by design.
CONNECT_TIMEOUT_S = 2.0

Reach = t.Literal["all", "this_process"]
_outcome = threading.local()


class RoomQueue(python_socketio.RedisManager):
    """The Redis message queue, remembering per thread whether the last publish got through."""

    def _publish(self, data: t.Any) -> t.Any:
        result = super()._publish(data)
        # The parent logs and swallows a failed publish, answering None; a publish that got
        # through answers the number of subscribers.
        _outcome.reached_queue = result is not None
        if result is None:
            report_unreachable("Socket.IO message queue", ConnectionError("publish failed"))
        return result


def last_emit_reach() -> Reach:
    """Whom the last emit of this thread reached: every process, or this one only."""
    return "this_process" if getattr(_outcome, "reached_queue", True) is False else "all"


def forget_emit_reach() -> None:
    """Start a fresh count before an emit whose reach is about to be asked."""
    _outcome.reached_queue = None


def init_app(app: Flask) -> None:
    url = app.config["REDIS_URL"] or None
    queue = None
    if url:
        queue = RoomQueue(
            url,
            channel=CHANNEL,
            redis_options={"socket_connect_timeout": CONNECT_TIMEOUT_S},
        )
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=url,
        # Always given, even as None: the server object is shared by every app made in one
        # process (tests), and a queue left over from an earlier app must not stay.
        client_manager=queue,
        # The room page is served by the tool itself, even inside an LMS iframe, so
        # same-origin (the default) is all the browser client needs.
    )
    if app.config["REALTIME_DIAGNOSTICS"]:
        socketio.on_namespace(diagnostics.DiagnosticsNamespace(diagnostics.NAMESPACE))
