"""The room checks the booking again on every event, and empties when the booking closes it."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from flask import Flask
from lti_tool_video import tokens

from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import User
from lti_tool.models import db
from tests.booking import CSRF
from tests.booking import sign_in

from .test_signaling import SECRET
from .test_signaling import Peer
from .world import Refused
from .world import World
from .world import build

Connect = t.Callable[[object], t.Any]


class WatchedPeer(Peer):
    """A peer that also records ``ejected`` and the server closing its socket."""

    def __init__(self, connect: Connect, booking_id: int, user_id: int, peer_id: str) -> None:
        super().__init__(connect, booking_id, user_id, peer_id)
        self.client.on("ejected", self._record("ejected"), namespace="/room")
        self.client.on("disconnect", self._record("disconnect"), namespace="/room")


@pytest.fixture
def soon(app: Flask) -> World:
    """A confirmed booking starting in five minutes: its room is open, and it can be cancelled."""
    return build(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10))


def test_tutor_cancelling_empties_the_room_and_bars_the_door(
    app: Flask, connect: Connect, soon: World
) -> None:
    tutor = WatchedPeer(connect, soon.booking_id, soon.tutor_id, "tutor-peer")
    learner = WatchedPeer(connect, soon.booking_id, soon.learner_id, "learner-peer")
    assert tutor.joined["ok"] and learner.joined["ok"]

    tutor_user = db.session.get(User, soon.tutor_id)
    assert tutor_user is not None
    web = sign_in(app.test_client(), tutor_user)
    cancelled = web.delete(f"/api/v1/bookings/{soon.booking_id}?reason=ill", headers=CSRF)
    assert cancelled.status_code == 200, cancelled.get_data(as_text=True)

    for peer in (tutor, learner):
        assert peer.next("ejected") == {
            "booking_id": soon.booking_id,
            "reason": "the booking is cancelled",
        }
        peer.next("disconnect")
    with pytest.raises(Exception, match="not a connected namespace"):
        learner.call("chat", {"client_message_id": "msg-after-1", "body": "still here?"})
    with pytest.raises(Refused, match="the booking is cancelled"):
        connect({"token": tokens.issue(SECRET, soon.booking_id, soon.learner_id, 60)})


def test_a_change_nobody_announced_is_caught_by_the_next_event(
    connect: Connect, world: World
) -> None:
    tutor = WatchedPeer(connect, world.booking_id, world.tutor_id, "tutor-peer")
    learner = WatchedPeer(connect, world.booking_id, world.learner_id, "learner-peer")
    first = learner.call("chat", {"client_message_id": "msg-before", "body": "hello"})
    assert first["ok"] is True
    assert tutor.next("chat")["body"] == "hello"

    # Written straight to the database, as another process or a repair would: no hook runs.
    db.session.rollback()  # end this thread's read snapshot before writing after the server
    booking = db.session.get(Booking, world.booking_id)
    assert booking is not None
    booking.state = BookingState.CANCELLED
    db.session.commit()

    refused = learner.call("chat", {"client_message_id": "msg-after", "body": "hello?"})
    assert refused == {"ok": False, "error": "the booking is cancelled"}
    for peer in (tutor, learner):
        assert peer.next("ejected")["reason"] == "the booking is cancelled"
    tutor.next("disconnect")
    # The socket that asked got its answer; it stays out of the room and is refused from now on.
    again = learner.call("signal", {"kind": "offer", "to": "tutor-peer", "sdp": "v=0"})
    assert again == {"ok": False, "error": "the booking is cancelled"}
    rejoin = learner.call("join", {"booking_id": world.booking_id, "peer_id": "learner-2"})
    assert rejoin == {"ok": False, "error": "the booking is cancelled"}


def test_a_room_past_its_closing_time_ejects_on_the_next_event(
    connect: Connect, world: World
) -> None:
    tutor = WatchedPeer(connect, world.booking_id, world.tutor_id, "tutor-peer")
    learner = WatchedPeer(connect, world.booking_id, world.learner_id, "learner-peer")
    assert learner.call("media", {"camera": True, "mic": True}) == {"ok": True}

    db.session.rollback()  # end this thread's read snapshot before writing after the server
    booking = db.session.get(Booking, world.booking_id)
    assert booking is not None
    # The session ended two hours ago, beyond any grace the join rule gives.
    for field in ("start_at", "end_at", "block_start", "block_end"):
        setattr(booking, field, getattr(booking, field) - dt.timedelta(hours=3))
    db.session.commit()

    assert tutor.call("here", {"to": "learner-peer"}) is None
    assert learner.next("ejected")["reason"] == "the room has closed"
    learner.next("disconnect")
    assert tutor.next("ejected")["reason"] == "the room has closed"
    assert tutor.call("history") == {"ok": False, "error": "the room has closed"}


def test_a_person_losing_their_place_leaves_alone(connect: Connect, world: World) -> None:
    tutor = WatchedPeer(connect, world.booking_id, world.tutor_id, "tutor-peer")
    learner = WatchedPeer(connect, world.booking_id, world.learner_id, "learner-peer")
    assert learner.call("media", {"camera": True}) == {"ok": True}

    db.session.rollback()
    person = db.session.get(User, world.learner_id)
    assert person is not None
    person.is_active = False
    db.session.commit()

    refused = learner.call("chat", {"client_message_id": "msg-gone-1", "body": "hi"})
    assert refused == {"ok": False, "error": "sign in first"}
    assert learner.next("ejected")["reason"] == "sign in first"
    assert tutor.next("presence")["state"] == "joined"
    left = tutor.next("presence")
    assert (left["peer_id"], left["state"]) == ("learner-peer", "left")
    # The booking still holds: the tutor stays in the room.
    kept = tutor.call("chat", {"client_message_id": "msg-kept-1", "body": "still here"})
    assert kept["ok"] is True
