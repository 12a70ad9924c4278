"""Stripe's events applied whatever order they arrive in."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import PaymentRefund
from lti_tool.models import db

from .fake_stripe import FakeStripe
from .helpers import book
from .helpers import checkout_id
from .helpers import dashboard_refund
from .helpers import fresh
from .helpers import make_world
from .helpers import payment_of
from .helpers import post_event


def test_a_refund_reported_before_the_checkout_completion_ends_with_the_booking_refunded(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    held = book(world).json
    checkout = checkout_id(held["redirect_url"])
    completed = fake.complete(checkout)
    intent = fake.sessions[checkout]["payment_intent"]
    # Refunded at once from Stripe's dashboard; its events overtake the completion.
    refund_events = dashboard_refund(fake, intent)
    assert {e["type"] for e in refund_events} >= {"charge.refunded", "refund.created"}

    outcomes = [post_event(world.client, fake, e).json["outcome"] for e in refund_events]
    assert set(outcomes) == {"recorded"}
    # Kept, not dropped: the refund is tied to the booking's payment already.
    db.session.rollback()
    (row,) = db.session.scalars(sa.select(PaymentRefund)).all()
    assert (row.status, row.amount_cents) == ("succeeded", 6000)

    late = post_event(world.client, fake, completed)

    assert late.status_code == 200, late.json
    assert late.json["outcome"] == "refunded"
    booking = fresh(Booking, held["id"])
    assert booking.state == BookingState.CANCELLED
    payment = payment_of(held["id"])
    assert (payment.status, payment.refunded_cents) == ("refunded", 6000)
    # Nothing was refunded twice.
    assert len(fake.calls("POST", "/v1/refunds")) == 1

    # Redelivering everything, in either order, changes nothing more.
    for event in [completed, *refund_events]:
        assert post_event(world.client, fake, event).json["outcome"] == "duplicate"
    assert fresh(Booking, held["id"]).state == BookingState.CANCELLED


def test_refund_statuses_only_move_forward(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app)
    held = book(world).json
    checkout = checkout_id(held["redirect_url"])
    assert post_event(world.client, fake, fake.complete(checkout)).json["outcome"] == "confirmed"
    intent = fake.sessions[checkout]["payment_intent"]
    fake.next_refund("pending")
    created = dashboard_refund(fake, intent)
    (refund_id,) = fake.refunds
    seen = len(fake.events)
    fake.settle_refund(refund_id, "succeeded")
    settled = fake.events[seen:]

    # The success arrives first, the older "pending" reports after it.
    for event in [*settled, *created]:
        assert post_event(world.client, fake, event).status_code == 200

    db.session.rollback()
    (row,) = db.session.scalars(sa.select(PaymentRefund)).all()
    assert row.status == "succeeded"
    payment = payment_of(held["id"])
    assert (payment.status, payment.refunded_cents) == ("refunded", 6000)


def test_a_refund_event_about_an_unknown_payment_waits_while_stripe_is_unreachable(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    held = book(world).json
    checkout = checkout_id(held["redirect_url"])
    fake.complete(checkout)
    intent = fake.sessions[checkout]["payment_intent"]
    refunded = [e for e in dashboard_refund(fake, intent) if e["type"] == "refund.created"][0]

    with fake.unreachable():
        answer = post_event(world.client, fake, refunded)

    # Not knowing whose payment it is, the tool asks Stripe to send it again later.
    assert (answer.status_code, answer.json["error"]) == (503, "try_again")
    db.session.rollback()
    assert db.session.scalars(sa.select(PaymentRefund)).all() == []
    again = post_event(world.client, fake, refunded)
    assert (again.status_code, again.json["outcome"]) == (200, "recorded")


def test_a_delayed_payment_that_fails_releases_the_hold(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app)
    held = book(world).json
    checkout = checkout_id(held["redirect_url"])
    waiting = post_event(world.client, fake, fake.complete(checkout, payment_status="unpaid"))
    assert waiting.json["outcome"] == "awaiting_payment"
    assert fresh(Booking, held["id"]).state == BookingState.HELD

    failed = post_event(world.client, fake, fake.async_fail(checkout))

    assert failed.json["outcome"] == "released"
    assert fresh(Booking, held["id"]).state == BookingState.CANCELLED
    assert payment_of(held["id"]).status == "expired"
