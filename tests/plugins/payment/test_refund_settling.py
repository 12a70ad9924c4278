"""Refunds are followed until Stripe says they settled; failed ones are shown and tried again;
a webhook whose effect could not be carried out is answered so that Stripe sends it again."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from lti_tool_payment.report import payments_group

from lti_tool.jobs.runner import run_due
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Job
from lti_tool.models import JobState
from lti_tool.models import PaymentRefund
from lti_tool.models import db
from tests.booking import CSRF
from tests.booking import FakeClock

from .fake_stripe import FakeStripe
from .helpers import LATER
from .helpers import book
from .helpers import checkout_id
from .helpers import deliver_new_events
from .helpers import fresh
from .helpers import make_world
from .helpers import paid_booking
from .helpers import payment_of
from .helpers import post_event

REFUNDS = "/v1/refunds"


def refund_jobs() -> list[Job]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Job).where(Job.name == "payment.refund")))


def refunds_written() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(PaymentRefund.request_key).order_by(PaymentRefund.id)))


def refunds() -> list[tuple[str, int, int]]:
    db.session.rollback()
    rows = db.session.scalars(sa.select(PaymentRefund).order_by(PaymentRefund.id))
    return [(r.status, r.amount_cents, r.attempt) for r in rows]


def test_a_refund_that_goes_pending_then_fails_is_shown_as_failed_and_retried(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    booking = paid_booking(world, fake, start=LATER)
    fake.next_refund("pending")
    seen = len(fake.events)

    assert world.client.delete(f"/api/v1/bookings/{booking.id}", headers=CSRF).status_code == 200
    run_due()
    deliver_new_events(world, fake, seen)

    # Pending is not done: nothing counts as refunded yet.
    assert refunds() == [("pending", 6000, 1)]
    assert payment_of(booking.id).refunded_cents == 0
    page = world.client.get(f"/bookings/{booking.id}").text
    assert 'data-testid="refund" data-status="pending"' in page

    (refund_id,) = fake.refunds
    seen = len(fake.events)
    fake.settle_refund(refund_id, "failed", failure_reason="expired_or_canceled_card")
    deliver_new_events(world, fake, seen)

    assert refunds() == [("failed", 6000, 1)]
    payment = payment_of(booking.id)
    assert (payment.status, payment.refunded_cents) == ("paid", 0)
    page = world.client.get(f"/bookings/{booking.id}").text
    assert 'data-testid="refund" data-status="failed"' in page
    assert "expired or canceled card" in page

    seen = len(fake.events)
    result = app.test_cli_runner().invoke(payments_group, ["retry-refunds"])

    assert result.exit_code == 0, result.output
    assert "0 sent, 1 retried" in result.output
    deliver_new_events(world, fake, seen)
    assert refunds() == [("failed", 6000, 1), ("succeeded", 6000, 2)]
    first, second = fake.calls("POST", REFUNDS)
    assert first.idempotency_key != second.idempotency_key
    payment = payment_of(booking.id)
    assert (payment.status, payment.refunded_cents) == ("refunded", 6000)
    assert 'data-status="succeeded"' in world.client.get(f"/bookings/{booking.id}").text


def test_a_refund_stripe_could_not_be_asked_for_is_retried_and_made_once(
    app: Flask, fake: FakeStripe, clock: FakeClock
) -> None:
    world = make_world(app)
    booking = paid_booking(world, fake, start=LATER)
    cancelled = world.client.delete(f"/api/v1/bookings/{booking.id}", headers=CSRF)
    assert cancelled.status_code == 200
    assert fresh(Booking, booking.id).state == BookingState.CANCELLED

    # The worker's first try meets Stripe down: the refund is written down, and waits.
    with fake.unreachable():
        run_due()
    assert refunds() == [("requested", 6000, 1)]
    (job,) = refund_jobs()
    assert (job.state, job.attempts) == (JobState.QUEUED, 1)
    assert run_due() == 0  # not before its pause

    # Stripe is back: the next try makes the refund, with the key written down the first time.
    clock.advance(seconds=31)
    assert run_due() >= 1
    assert refunds() == [("succeeded", 6000, 1)]
    assert payment_of(booking.id).status == "refunded"
    (made,) = fake.calls("POST", REFUNDS)
    assert made.idempotency_key == refunds_written()[0]
    clock.advance(days=3)
    run_due()
    assert len(fake.refunds) == 1 and len(fake.calls("POST", REFUNDS)) == 1
    assert [j.state for j in refund_jobs()] == [JobState.DONE]


def test_a_late_payment_whose_refund_fails_is_answered_503_and_finished_on_redelivery(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    held = book(world).json
    completed = fake.complete(checkout_id(held["redirect_url"]))
    assert world.client.delete(f"/api/v1/bookings/{held['id']}", headers=CSRF).status_code == 200

    with fake.unreachable():
        first = post_event(world.client, fake, completed)
    assert first.status_code == 503
    assert first.json["error"] == "try_again"
    assert refunds() == [("requested", 6000, 1)]

    again = post_event(world.client, fake, completed)

    assert again.status_code == 200
    assert refunds() == [("succeeded", 6000, 1)]
    assert len(fake.calls("POST", REFUNDS)) == 1
