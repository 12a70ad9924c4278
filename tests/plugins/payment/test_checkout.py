"""A paid booking is held and sent to Stripe Checkout with the right request; free ones are not."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import db
from lti_tool.plugins import pm
from tests.booking import FakeClock

from .fake_stripe import FakeStripe
from .fake_stripe import StripeFailure
from .helpers import CHECKOUT
from .helpers import SOON
from .helpers import book
from .helpers import checkout_id
from .helpers import fresh
from .helpers import make_world
from .helpers import payment_of


def test_a_paid_booking_is_held_and_sent_to_checkout(
    app: Flask, fake: FakeStripe, clock: FakeClock
) -> None:
    world = make_world(app)

    answer = book(world)

    assert answer.status_code == 201, answer.json
    assert answer.json["state"] == "held"
    (call,) = fake.calls("POST", CHECKOUT)
    session = fake.sessions[checkout_id(answer.json["redirect_url"])]
    assert answer.json["redirect_url"] == session["url"] == f"{fake.url}/pay/{session['id']}"
    uid, booking_id = answer.json["uid"], answer.json["id"]
    params = call.params
    assert call.idempotency_key == f"checkout-{uid}-6000-{params['expires_at']}"
    assert params["mode"] == "payment"
    # Only methods that confirm while the learner waits, named explicitly.
    assert params["payment_method_types"] == ["card"]
    (item,) = params["line_items"]
    assert item["quantity"] == "1"
    assert item["price_data"]["unit_amount"] == "6000"
    assert item["price_data"]["currency"] == "usd"
    assert params["client_reference_id"] == uid
    assert params["metadata"] == {"booking_uid": uid, "booking_id": str(booking_id)}
    assert params["success_url"] == f"http://localhost/bookings/{booking_id}?checkout=success"
    assert params["cancel_url"] == f"http://localhost/bookings/{booking_id}?checkout=cancelled"
    assert "transfer_data" not in params["payment_intent_data"]  # the tutor has no account yet
    expires_at = int(params["expires_at"])
    half_hour_on = clock().timestamp() + 30 * 60
    assert half_hour_on <= expires_at <= half_hour_on + 90

    # The hold lasts exactly as long as the session.
    hold_end = dt.datetime.fromtimestamp(expires_at, dt.UTC)
    assert answer.json["hold_expires_at"] == hold_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert fresh(Booking, booking_id).hold_expires_at == hold_end
    payment = payment_of(booking_id)
    assert (payment.status, payment.external_id) == ("pending", session["id"])
    assert (payment.amount_cents, payment.currency, payment.checkout_url) == (
        6000,
        "usd",
        session["url"],
    )


def test_a_tutor_with_a_payout_account_gets_a_destination_charge_less_the_fee(
    app: Flask, fake: FakeStripe
) -> None:
    account = fake.active_account()
    world = make_world(app, price_cents=5000, payout_account=account)

    answer = book(world, duration=45)  # pro rata: 45 minutes of 50.00 an hour

    assert answer.status_code == 201, answer.json
    (call,) = fake.calls("POST", CHECKOUT)
    assert call.params["line_items"][0]["price_data"]["unit_amount"] == "3750"
    intent = call.params["payment_intent_data"]
    assert intent["transfer_data"] == {"destination": account}
    # 10 percent for the platform (375) and Stripe's 2.9 % + 0.30 (108.75 -> 109, + 30).
    assert intent["application_fee_amount"] == str(375 + 139)
    payment = payment_of(answer.json["id"])
    assert (payment.platform_fee_cents, payment.processing_fee_cents) == (375, 139)


def test_asking_again_for_one_booking_reuses_its_checkout(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app)
    answer = book(world)
    booking = fresh(Booking, answer.json["id"])
    provider = pm.hook.payment_provider()

    again = provider.start_checkout(booking, "http://localhost/elsewhere")

    assert again.redirect_url == answer.json["redirect_url"]
    assert len(fake.calls("POST", CHECKOUT)) == 1


def test_stripe_answers_a_repeated_request_with_the_first_session(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    booking_id = book(world).json["id"]
    provider = pm.hook.payment_provider()
    first = fake.calls("POST", CHECKOUT)[0]
    params, key = first.params, {"idempotency_key": str(first.idempotency_key)}

    repeated = provider.client.v1.checkout.sessions.create(params, key)

    assert repeated.id == payment_of(booking_id).external_id
    assert len(fake.sessions) == 1
    assert provider.client.v1.checkout.sessions.retrieve(repeated.id).status == "open"


def test_a_free_tutor_is_booked_without_stripe(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app, price_cents=0)

    answer = book(world)

    assert answer.status_code == 201, answer.json
    assert (answer.json["state"], answer.json["redirect_url"]) == ("confirmed", None)
    assert fake.requests == []


def test_when_stripe_refuses_the_hold_is_released_and_the_learner_told(
    app: Flask, client: FlaskClient, fake: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(app)

    def refuse(*_args: object) -> None:
        raise StripeFailure(400, "Your account cannot currently make live charges.")

    monkeypatch.setattr(fake, "_create_session", refuse)
    answer = book(world)

    assert answer.status_code == 502
    assert answer.json["error"] == "payment_unavailable"
    db.session.rollback()
    (booking,) = db.session.scalars(sa.select(Booking)).all()
    assert booking.state == BookingState.CANCELLED
    slots = client.get(
        f"/api/v1/tutors/{world.tutor.id}/slots?start=2030-01-07&end=2030-01-07&tz=UTC&duration=60"
    )
    assert SOON in {slot["start_utc"] for slot in slots.json["slots"]}
