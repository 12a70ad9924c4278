"""One room, two web processes: the tutor on one, the learner on the other, Redis between."""

from __future__ import annotations

import contextlib
import typing as t
import uuid
from collections.abc import Iterator
from pathlib import Path

import socketio

from tests import services

from .stack import seed
from .stack import serving
from .test_signaling import Peer

WEBSOCKET = ["websocket"]


@contextlib.contextmanager
def sockets(
    url: str, transports: list[str] | None = WEBSOCKET
) -> Iterator[t.Callable[[object], socketio.Client]]:
    """Open room sockets to *url*; ``transports=None`` starts with long-polling, as browsers do."""
    clients: list[socketio.Client] = []

    def open_socket(auth: object) -> socketio.Client:
        client = socketio.Client(reconnection=False)
        client.connect(url, namespaces=["/room"], auth=auth, transports=transports, wait_timeout=5)
        clients.append(client)
        return client

    try:
        yield open_socket
    finally:
        for client in clients:
            # A socket whose server was killed is already gone.
            with contextlib.suppress(Exception):
                client.disconnect()


def test_a_room_spans_two_servers_sharing_redis(tmp_path: Path) -> None:
    redis_url = services.redis_url()
    seeded = seed(tmp_path)
    world = seeded[1]
    shared = {"LTI_TOOL_REDIS_URL": redis_url}
    video = {"recording": False}
    with (
        serving(tmp_path, video, seeded=seeded, env=shared, name="one") as one,
        serving(tmp_path, video, seeded=seeded, env=shared, name="two") as two,
        sockets(one.url) as on_one,
        sockets(two.url) as on_two,
    ):
        assert one.process.pid != two.process.pid
        tutor = Peer(on_one, world.booking_id, world.tutor_id, "tutor-peer")
        learner = Peer(on_two, world.booking_id, world.learner_id, "learner-peer")
        assert learner.joined["ok"], learner.joined

        arrived = tutor.next("presence")
        assert (arrived["peer_id"], arrived["state"]) == ("learner-peer", "joined")
        line = f"across processes {uuid.uuid4().hex[:6]}"
        sent = learner.call("chat", {"client_message_id": "two-servers-1", "body": line})
        assert sent["ok"], sent
        assert tutor.next("chat")["body"] == line
        offer = {"kind": "offer", "to": "learner-peer", "conn": "c1", "sdp": "v=0"}
        assert tutor.call("signal", offer) == {"ok": True}
        relayed = learner.next("signal")
        assert (relayed["from"], relayed["sdp"]) == ("tutor-peer", "v=0")
