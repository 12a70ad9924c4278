"""Who gets into a booking's room: checked when the socket connects and again on every join."""

from __future__ import annotations

import datetime as dt
import time
import typing as t

import pytest
from flask import Flask
from lti_tool_video import tokens

from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import db

from .world import Refused
from .world import World

SECRET = "development-only-secret-key-do-not-deploy"
Connect = t.Callable[[object], t.Any]


def token_for(world_booking: int, user_id: int, ttl: int = 60) -> dict[str, str]:
    return {"token": tokens.issue(SECRET, world_booking, user_id, ttl)}


def join(client: t.Any, booking_id: int, peer_id: str) -> dict[str, t.Any]:
    payload = {"booking_id": booking_id, "peer_id": peer_id}
    reply: dict[str, t.Any] = client.call("join", payload, namespace="/room", timeout=5)
    return reply


def test_room_page_hands_the_client_its_descriptor(app: Flask, world: World) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = world.learner_id
    page = client.get(f"/rooms/{world.booking_id}").get_data(as_text=True)
    assert 'type="module" src="/video/static/room.js"></script>' in page
    assert f'data-booking-id="{world.booking_id}"' in page
    token = page.split('data-token="', 1)[1].split('"', 1)[0]
    room_pass = tokens.verify(SECRET, token)
    assert (room_pass.booking_id, room_pass.user_id) == (world.booking_id, world.learner_id)
    assert room_pass.expires_at - time.time() == pytest.approx(600, abs=5)

    fresh = client.get(f"/video/rooms/{world.booking_id}/pass")
    assert fresh.status_code == 200 and fresh.headers["Cache-Control"] == "no-store"
    assert tokens.verify(SECRET, fresh.json["token"]).user_id == world.learner_id  # type: ignore[index]


@pytest.mark.parametrize(
    ("auth", "reason"),
    [
        (None, "no room token"),
        ({"token": "forged.token"}, "room token is not valid"),
        ("expired", "room token expired"),
        ("stranger", "not a participant of this booking"),
        ("other booking", "the room opens at"),
    ],
)
def test_refused_on_connect(connect: Connect, world: World, auth: t.Any, reason: str) -> None:
    if auth == "expired":
        auth = token_for(world.booking_id, world.learner_id, ttl=-1)
    elif auth == "stranger":
        # A correctly signed token is still no ticket for someone outside the booking.
        auth = token_for(world.booking_id, world.stranger_id)
    elif auth == "other booking":
        auth = token_for(world.other_booking_id, world.stranger_id)
    with pytest.raises(Refused) as refused:
        connect(auth)
    assert reason in str(refused.value)


def test_refused_on_join_when_the_booking_changed_or_is_another(
    connect: Connect, world: World
) -> None:
    client = connect(token_for(world.booking_id, world.learner_id))
    assert join(client, world.other_booking_id, "peer-learner") == {
        "ok": False,
        "error": "not a participant of this booking",
    }
    booking = db.session.get(Booking, world.booking_id)
    assert booking is not None
    booking.state = BookingState.CANCELLED
    db.session.commit()
    assert join(client, world.booking_id, "peer-learner") == {
        "ok": False,
        "error": "the booking is cancelled",
    }


def test_admin_may_join_and_the_window_closes(connect: Connect, world: World, app: Flask) -> None:
    admin = connect(token_for(world.booking_id, world.admin_id))
    assert join(admin, world.booking_id, "peer-admin")["self"]["role"] == "admin"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    app.config["CLOCK"] = lambda: later
    assert join(admin, world.booking_id, "peer-admin") == {
        "ok": False,
        "error": "the room has closed",
    }


def test_turn_credential_is_what_coturn_computes() -> None:
    login = tokens.turn_credential("north-shared-secret", 42, ttl_s=3600, now=1_700_000_000)
    assert login == {
        "username": "1700003600:42",
        # openssl: printf 1700003600:42 | openssl sha1 -hmac north-shared-secret -binary | base64
        "credential": "PERP496D0J2anUSQLKCTxR4rUXk=",
    }
