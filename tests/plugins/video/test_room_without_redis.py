"""Room chat while the message queue is away: stored, shown to this server, and said so."""

from __future__ import annotations

import typing as t
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from lti_tool_video.settings import EXTENSION

from lti_tool.testing import app_in_context
from tests.services import ThrowawayRedis
from tests.services import throwaway_redis

from .test_signaling import Peer
from .world import World

Connect = t.Callable[[object], t.Any]


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    with throwaway_redis(tmp_path) as server:
        yield server


@pytest.fixture
def app(database_url: str, queue: ThrowawayRedis) -> Iterator[Flask]:
    """The video plugin's test app, with the throwaway Redis as its message queue."""
    with app_in_context(database_url, redis_url=queue.url) as app:
        app.config["PLUGINS"] = {"video": {"recording": False, "worker_autostart": False}}
        app.extensions.pop(EXTENSION, None)
        yield app


def test_chat_says_when_only_this_server_heard_it(
    connect: Connect, world: World, queue: ThrowawayRedis
) -> None:
    tutor = Peer(connect, world.booking_id, world.tutor_id, "tutor-peer")
    learner = Peer(connect, world.booking_id, world.learner_id, "learner-peer")
    assert learner.joined["ok"], learner.joined

    before = learner.call("chat", {"client_message_id": "queue-up-1", "body": "one"})
    assert (before["ok"], before["relayed"]) == (True, "all")
    assert "warning" not in before
    assert tutor.next("chat")["body"] == "one"

    queue.stop()
    during = learner.call("chat", {"client_message_id": "queue-down", "body": "two"})
    assert (during["ok"], during["relayed"]) == (True, "this_process")
    assert "reconnect" in during["warning"]
    # The tutor is on the same server, so the line still reaches them live.
    assert tutor.next("chat")["body"] == "two"
    resent = learner.call("chat", {"client_message_id": "queue-down", "body": "two"})
    assert resent["relayed"] == "already_stored"

    queue.start()
    after = learner.call("chat", {"client_message_id": "queue-up-2", "body": "three"})
    assert (after["ok"], after["relayed"]) == (True, "all")
    assert tutor.next("chat")["body"] == "three"
    history = tutor.call("history")["history"]
    assert [line["body"] for line in history] == ["one", "two", "three"]
