"""Deliveries with a wrong signature are limited per address; a signed one never is."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from lti_tool.models import Booking
from lti_tool.models import BookingState
from tests.booking import FakeClock

from .fake_stripe import FakeStripe
from .helpers import book
from .helpers import fresh
from .helpers import last_checkout
from .helpers import make_world
from .helpers import pay
from .helpers import post_event


def forged(client: FlaskClient, address: str = "127.0.0.1") -> TestResponse:
    """A delivery from *address* whose signature was never made with the endpoint's secret."""
    return client.post(
        "/payments/stripe/webhook",
        data=b'{"id": "evt_forged", "object": "event"}',
        headers={"Stripe-Signature": "t=1,v1=00", "Content-Type": "application/json"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_bad_signatures_past_the_limit_are_refused_but_a_signed_event_gets_through(
    app: Flask, fake: FakeStripe, clock: FakeClock
) -> None:
    app.config["BAD_WEBHOOKS_PER_CLIENT_PER_MINUTE"] = 2
    world = make_world(app)
    booked = book(world)
    assert booked.status_code == 201
    booking_id = booked.json["id"] if booked.json else 0

    answers = [forged(world.client) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert answers[-1].headers["Retry-After"] == "60"
    assert answers[-1].json == {
        "error": "too_many_bad_deliveries",
        "detail": "Too many deliveries with a wrong signature; slow down.",
    }

    # The same address, with a real signature: heard and acted on all the same.
    paid = pay(world, fake)
    assert paid.status_code == 200, paid.json
    assert fresh(Booking, booking_id).state == BookingState.CONFIRMED

    assert forged(world.client, "198.51.100.9").status_code == 400
    clock.advance(seconds=61)
    assert forged(world.client).status_code == 400


def test_signed_events_are_never_counted(app: Flask, fake: FakeStripe) -> None:
    app.config["BAD_WEBHOOKS_PER_CLIENT_PER_MINUTE"] = 1
    world = make_world(app)
    assert book(world).status_code == 201
    event = fake.complete(last_checkout(fake))
    # Stripe delivers an event again whenever it is unsure the last delivery arrived.
    answers = [post_event(world.client, fake, event) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200] * 4
    assert forged(world.client).status_code == 400
    assert forged(world.client).status_code == 429
