"""The ``/room`` namespace relays negotiation, stores chat once, and ends sessions."""

from __future__ import annotations

import queue
import typing as t

import pytest
import sqlalchemy as sa
from lti_tool_video import tokens
from lti_tool_video.models import ChatMessage

from lti_tool.models import db

from .world import Refused
from .world import World

SECRET = "development-only-secret-key-do-not-deploy"
Connect = t.Callable[[object], t.Any]


class Peer:
    """A joined socket that records what the room sends it."""

    def __init__(self, connect: Connect, booking_id: int, user_id: int, peer_id: str) -> None:
        self.inbox: queue.Queue[tuple[str, t.Any]] = queue.Queue()
        self.client = connect({"token": tokens.issue(SECRET, booking_id, user_id, 60)})
        for event in ("presence", "signal", "chat", "media", "recording", "ended"):
            self.client.on(event, self._record(event), namespace="/room")
        self.joined = self.call("join", {"booking_id": booking_id, "peer_id": peer_id})

    def _record(self, event: str) -> t.Callable[[t.Any], None]:
        return lambda data: self.inbox.put((event, data))

    def call(self, event: str, data: t.Any = None) -> t.Any:
        return self.client.call(event, data, namespace="/room", timeout=5)

    def next(self, event: str) -> t.Any:
        while True:
            name, data = self.inbox.get(timeout=5)
            if name == event:
                return data


def test_presence_and_signals_are_relayed_with_the_true_sender(
    connect: Connect, world: World
) -> None:
    tutor = Peer(connect, world.booking_id, world.tutor_id, "tutor-peer")
    learner = Peer(connect, world.booking_id, world.learner_id, "learner-peer")
    assert learner.joined["ok"] and learner.joined["self"]["role"] == "learner"

    arrived = tutor.next("presence")
    assert (arrived["peer_id"], arrived["state"], arrived["user_id"]) == (
        "learner-peer",
        "joined",
        world.learner_id,
    )
    tutor.call("here", {"to": "learner-peer"})
    assert learner.next("presence")["state"] == "here"

    offer = {"kind": "offer", "to": "learner-peer", "conn": "c1", "sdp": "v=0", "from": "x"}
    assert tutor.call("signal", offer) == {"ok": True}
    relayed = learner.next("signal")
    assert relayed["from"] == "tutor-peer" and relayed["sdp"] == "v=0"
    assert tutor.call("signal", {"kind": "shell"}) == {"ok": False, "error": "unknown signal"}

    learner.call("media", {"camera": False, "mic": True, "screen": False})
    assert tutor.next("media")["media"] == {"camera": False, "mic": True, "screen": False}

    learner.call("leave")
    left = tutor.next("presence")
    assert (left["peer_id"], left["state"]) == ("learner-peer", "left")


def test_chat_is_stored_once_and_replayed_in_order(connect: Connect, world: World) -> None:
    tutor = Peer(connect, world.booking_id, world.tutor_id, "tutor-peer")
    learner = Peer(connect, world.booking_id, world.learner_id, "learner-peer")
    first = learner.call("chat", {"client_message_id": "msg-0001", "body": "hello"})
    again = learner.call("chat", {"client_message_id": "msg-0001", "body": "hello"})
    second = tutor.call("chat", {"client_message_id": "msg-0001", "body": "hi Leo"})
    assert first["ok"] and again["message"] == first["message"]
    assert second["message"]["id"] > first["message"]["id"]
    assert tutor.next("chat")["body"] == "hello"
    assert learner.next("chat")["body"] == "hi Leo"
    assert tutor.inbox.empty(), "a resent line must not be broadcast again"
    db.session.rollback()  # end this thread's read snapshot to see the server's writes
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage))
    assert count == 2

    rejoined = Peer(connect, world.booking_id, world.learner_id, "learner-again")
    assert [m["body"] for m in rejoined.joined["history"]] == ["hello", "hi Leo"]
    newer = rejoined.call("history", {"after_id": first["message"]["id"]})
    assert [m["body"] for m in newer["history"]] == ["hi Leo"]
    bad = learner.call("chat", {"client_message_id": "x", "body": "hello"})
    assert bad["ok"] is False


def test_consent_from_both_turns_recording_on_and_the_tutor_ends(
    connect: Connect, world: World
) -> None:
    tutor = Peer(connect, world.booking_id, world.tutor_id, "tutor-peer")
    learner = Peer(connect, world.booking_id, world.learner_id, "learner-peer")
    worker_token = {"token": tokens.issue_worker(SECRET, world.booking_id, 60)}
    with pytest.raises(Refused, match="not agreed by both"):
        connect(worker_token)

    assert tutor.call("consent", {"granted": True})["active"] is False
    reply = learner.call("consent", {"granted": True})
    assert reply["consent"] == {"tutor": True, "learner": True} and reply["active"] is True
    assert tutor.next("recording")["active"] is False
    assert tutor.next("recording")["active"] is True
    connect(worker_token)

    assert learner.call("end") == {"ok": False, "error": "only the tutor ends the session"}
    assert tutor.call("end") == {"ok": True}
    assert learner.next("ended") == {"by": world.tutor_id}
    with pytest.raises(Refused, match="the session has ended"):
        connect({"token": tokens.issue(SECRET, world.booking_id, world.learner_id, 60)})
