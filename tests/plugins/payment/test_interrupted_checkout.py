"""A hold whose Checkout Session was never created (the process stopped in between) can still be
paid from the booking page, or runs out and frees its slot."""

from __future__ import annotations

import datetime as dt

import pendulum
from flask import Flask

from lti_tool.booking import booking_service
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Subject
from lti_tool.models import db
from tests.booking import CSRF
from tests.booking import FakeClock

from .fake_stripe import FakeStripe
from .helpers import SOON
from .helpers import World
from .helpers import fresh
from .helpers import make_world
from .helpers import payment_of
from .helpers import post_event


def hold_without_checkout(world: World) -> Booking:
    """What a crash between saving the hold and asking Stripe leaves behind."""
    subject = db.session.scalars(db.select(Subject)).first()
    assert subject is not None
    start = pendulum.parse(SOON)
    booking = booking_service().book(world.learner, world.tutor, subject, start, 60)  # type: ignore[arg-type]
    assert booking.state == BookingState.HELD
    return booking


def test_the_booking_page_opens_a_checkout_for_a_hold_that_has_none(
    app: Flask, fake: FakeStripe, clock: FakeClock
) -> None:
    world = make_world(app)
    booking = hold_without_checkout(world)
    # The learner comes back twenty minutes later: too little hold left for a checkout,
    # which Stripe keeps open for thirty minutes at least.
    clock.advance(minutes=20)
    page = world.client.get(f"/bookings/{booking.id}")
    assert 'data-testid="pay-now"' in page.text

    answer = world.client.post(f"/bookings/{booking.id}/pay", headers=CSRF)

    assert answer.status_code == 302
    (checkout,) = fake.sessions
    assert answer.headers["Location"] == fake.sessions[checkout]["url"]
    held = fresh(Booking, booking.id)
    assert held.hold_expires_at is not None
    assert held.hold_expires_at >= clock() + dt.timedelta(minutes=30)

    paid = post_event(world.client, fake, fake.complete(checkout))

    assert paid.json["outcome"] == "confirmed"
    assert fresh(Booking, booking.id).state == BookingState.CONFIRMED
    assert payment_of(booking.id).status == "paid"


def test_a_checkout_created_but_never_written_down_is_adopted_when_paid(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    booking = hold_without_checkout(world)
    provider = app.extensions["lti_tool_payment"]
    # Stripe created the session, then the process died before saving it.
    checkout = provider.client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 6000,
                        "product_data": {"name": "Algebra"},
                    },
                }
            ],
            "metadata": {"booking_uid": booking.uid},
            "payment_intent_data": {"metadata": {"booking_uid": booking.uid}},
            "success_url": "http://localhost/",
            "expires_at": int(booking.hold_expires_at.timestamp()) + 60,  # type: ignore[union-attr]
        }
    )

    paid = post_event(world.client, fake, fake.complete(checkout.id))

    assert paid.json["outcome"] == "confirmed"
    assert fresh(Booking, booking.id).state == BookingState.CONFIRMED
    assert payment_of(booking.id).external_id == checkout.id


def test_an_unpaid_hold_without_a_checkout_still_runs_out(
    app: Flask, fake: FakeStripe, clock: FakeClock
) -> None:
    world = make_world(app)
    booking = hold_without_checkout(world)

    clock.advance(minutes=31)
    booking_service().expire_holds()

    assert fresh(Booking, booking.id).state == BookingState.EXPIRED
    assert fake.requests == []
