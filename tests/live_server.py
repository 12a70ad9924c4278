"""Real HTTP servers on free loopback ports, for tests that need a network peer."""

from __future__ import annotations

import threading
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

from werkzeug.serving import make_server

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIApplication


@contextmanager
def _running(server: ThreadingHTTPServer) -> Iterator[str]:
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextmanager
def live_server(app: WSGIApplication) -> Iterator[str]:
    """Serve a WSGI application (a Flask app, a fake service) in a thread; yields its URL."""
    with _running(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        yield url


@contextmanager
def handler_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve a plain ``http.server`` request handler in a thread; yields its URL."""
    with _running(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
        yield url
