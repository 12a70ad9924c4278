"""Cancelling gives the money back exactly when the booking service's refund rule says so."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs.runner import run_due
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import RoleName
from tests.booking import CSRF
from tests.booking import make_user
from tests.booking import sign_in

from .fake_stripe import FakeStripe
from .helpers import LATER
from .helpers import SOON
from .helpers import World
from .helpers import book
from .helpers import fresh
from .helpers import last_checkout
from .helpers import make_world
from .helpers import paid_booking
from .helpers import payment_of

REFUNDS = "/v1/refunds"


def cancel(world: World, booking: Booking, as_tutor: bool = False) -> int:
    client = world.client
    if as_tutor:
        client = sign_in(world.client.application.test_client(), world.tutor.user)
    answer = client.delete(f"/api/v1/bookings/{booking.id}?reason=plans+changed", headers=CSRF)
    run_due()  # the worker's turn: refunds and closing checkouts are background jobs
    return answer.status_code


def test_a_learner_cancelling_before_the_cutoff_gets_everything_back(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app, payout_account=fake.active_account())
    booking = paid_booking(world, fake, start=LATER)
    (intent_id,) = fake.intents
    checkout = payment_of(booking.id).external_id

    assert cancel(world, booking) == 200

    (refund,) = fake.calls("POST", REFUNDS)
    assert refund.params["payment_intent"] == intent_id
    assert refund.params["amount"] == "6000"
    # The tutor's transfer comes back; the platform returns its own share (10 %) of the
    # application fee to the tutor and keeps the allowance that paid Stripe's fee.
    assert refund.params["reverse_transfer"] == "true"
    assert "refund_application_fee" not in refund.params
    (share,) = [c for c in fake.requests if "/v1/application_fees/" in c.path]
    assert share.params["amount"] == "600"
    assert refund.idempotency_key == f"refund-{checkout}-1"
    payment = payment_of(booking.id)
    assert (payment.status, payment.refunded_cents) == ("refunded", 6000)


def test_a_learner_cannot_cancel_after_the_cutoff_and_nothing_is_refunded(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    booking = paid_booking(world, fake, start=SOON)

    assert cancel(world, booking) == 409

    assert fresh(Booking, booking.id).state == BookingState.CONFIRMED
    assert fake.calls("POST", REFUNDS) == []


def test_an_admin_cancelling_after_the_cutoff_refunds_in_full(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app)
    booking = paid_booking(world, fake, start=SOON)
    admin = sign_in(app.test_client(), make_user("Ada Admin", roles=[RoleName.ADMIN]))

    answer = admin.delete(f"/api/v1/bookings/{booking.id}?reason=no+room", headers=CSRF)
    run_due()

    # The learner is not at fault, so nobody keeps their money.
    assert answer.status_code == 200, answer.json
    assert fresh(Booking, booking.id).state == BookingState.CANCELLED
    (refund,) = fake.calls("POST", REFUNDS)
    assert refund.params["amount"] == "6000"
    payment = payment_of(booking.id)
    assert (payment.status, payment.refunded_cents) == ("refunded", 6000)


def test_a_tutor_cancelling_refunds_in_full_even_after_the_cutoff(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)  # no Connect account: a plain charge, nothing to reverse
    booking = paid_booking(world, fake, start=SOON)

    assert cancel(world, booking, as_tutor=True) == 200

    (refund,) = fake.calls("POST", REFUNDS)
    assert refund.params["amount"] == "6000"
    assert "reverse_transfer" not in refund.params
    assert "refund_application_fee" not in refund.params
    assert payment_of(booking.id).refunded_cents == 6000


def test_cancelling_a_hold_closes_its_checkout_instead_of_refunding(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    booking_id = book(world).json["id"]
    checkout = last_checkout(fake)

    assert cancel(world, fresh(Booking, booking_id)) == 200

    assert [call.path for call in fake.requests[1:]] == [f"/v1/checkout/sessions/{checkout}/expire"]
    assert fake.sessions[checkout]["status"] == "expired"
    assert fake.calls("POST", REFUNDS) == []
