from __future__ import annotations

import typing as t
from collections.abc import Iterator

import pytest
import socketio
from flask import Flask
from lti_tool_video.settings import EXTENSION

from tests.live_server import live_server

from .world import Refused
from .world import World
from .world import build


@pytest.fixture
def app(app: Flask) -> Iterator[Flask]:
    """The core's test app (SQLite and PostgreSQL) with recording allowed but not started."""
    app.config["PLUGINS"] = {"video": {"recording": True, "worker_autostart": False}}
    app.extensions.pop(EXTENSION, None)
    yield app


@pytest.fixture
def world(app: Flask) -> World:
    return build()


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    with live_server(app) as url:
        yield url


@pytest.fixture
def connect(served: str) -> Iterator[t.Callable[[object], socketio.Client]]:
    """Open a ``/room`` socket to a live server with a given auth payload.

    A refused connection raises :class:`Refused` with the server's reason. Every socket is
    closed afterwards.
    """
    clients: list[socketio.Client] = []

    def open_socket(auth: object) -> socketio.Client:
        client = socketio.Client(reconnection=False)
        clients.append(client)
        reasons: list[t.Any] = []
        client.on("connect_error", reasons.append, namespace="/room")
        # After a refusal the client closes its session; the polling transport can then sit
        # out the server's 25 s ping before it notices, so the close is cut short here.
        polite = client.disconnect
        client.disconnect = lambda: client.eio.disconnect(abort=True)  # type: ignore[method-assign]
        try:
            client.connect(
                served, namespaces=["/room"], auth=auth, transports=["polling"], wait_timeout=5
            )
        except socketio.exceptions.ConnectionError:
            raise Refused(str(reasons)) from None
        client.disconnect = polite  # type: ignore[method-assign]
        return client

    yield open_socket
    for client in clients:
        # The server goes away with the test: nothing is left to say goodbye to.
        client.eio.disconnect(abort=True)
