"""Entry point of ``lti-tool serve``: a fresh interpreter per async backend.

eventlet and gevent both patch the standard library and must do it before Flask, SQLAlchemy
or a database driver is imported, hence this separate module. Media workers (asyncio) never
run here.
"""

from __future__ import annotations

import sys
from typing import Any


def _gevent_handler_class() -> type[Any]:
    from gevent.pywsgi import WSGIHandler

    class Handler(WSGIHandler):
        def run_application(self) -> None:
            try:
                super().run_application()
            finally:
                # A connection that became a WebSocket never carries HTTP again, but the
                # server would read the client's closing frames as a next request: it logs
                # "Invalid HTTP method" and the client waits seconds for its close handshake.
                environ = self.environ or {}
                if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
                    self.close_connection = True

    return Handler


def main(argv: list[str]) -> None:
    mode, host, port_text = argv
    port = int(port_text)
    if mode == "eventlet":
        import eventlet

        eventlet.monkey_patch()
    elif mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
    else:
        raise SystemExit(f"unknown async mode {mode!r}")

    from lti_tool.app import create_app
    from lti_tool.config import ConfigError
    from lti_tool.plugins import PluginLoadError
    from lti_tool.realtime import socketio
    from lti_tool.web.request_log import configure_logging

    try:
        app = create_app({"async_mode": mode})
    except (ConfigError, PluginLoadError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(app)
    print(f"Serving on http://{host}:{port}/ ({mode})", flush=True)
    options: dict[str, object] = {"log_output": False}
    if mode == "eventlet":
        # eventlet's server stops accepting at 1,024 connections unless told otherwise.
        options["max_size"] = app.config["MAX_CONNECTIONS"]
    else:
        options["handler_class"] = _gevent_handler_class()
    socketio.run(app, host=host, port=port, **options)  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv[1:])
