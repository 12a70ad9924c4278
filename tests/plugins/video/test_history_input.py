"""A history request with an ``after_id`` that is no message id gets an error, not a crash."""

from __future__ import annotations

import typing as t

import pytest

from .test_signaling import Connect
from .test_signaling import Peer
from .world import World


@pytest.mark.parametrize("after_id", ["abc", 10**30, -1, True, 1.5, [3], {"id": 1}, 2**31])
def test_a_bad_after_id_is_answered_with_an_error(
    connect: Connect, world: World, after_id: t.Any
) -> None:
    learner = Peer(connect, world.booking_id, world.learner_id, "learner-peer")
    sent = learner.call("chat", {"client_message_id": "msg-0001", "body": "hello"})
    assert sent["ok"]

    refused = learner.call("history", {"after_id": after_id})
    assert refused["ok"] is False and "after_id" in refused["error"]
    # The connection is still good: the next request is answered as usual.
    assert [m["body"] for m in learner.call("history", {"after_id": 0})["history"]] == ["hello"]
    assert learner.call("history", None)["ok"] is True


def test_a_bad_resume_point_on_join_replays_everything(connect: Connect, world: World) -> None:
    learner = Peer(connect, world.booking_id, world.learner_id, "learner-peer")
    learner.call("chat", {"client_message_id": "msg-0001", "body": "hello"})
    again = learner.call(
        "join", {"booking_id": world.booking_id, "peer_id": "learner-two", "chat_after": 10**30}
    )
    assert again["ok"] and [m["body"] for m in again["history"]] == ["hello"]
