"""Stripe's webhook: only signed, recent deliveries count; each event acts once, in any order."""

from __future__ import annotations

import time

from flask import Flask
from flask.testing import FlaskClient

from lti_tool.models import Booking
from lti_tool.models import BookingState
from tests.booking import FakeClock

from .fake_stripe import FakeStripe
from .helpers import SOON
from .helpers import audit_actions
from .helpers import book
from .helpers import dashboard_refund
from .helpers import fresh
from .helpers import last_checkout
from .helpers import make_world
from .helpers import paid_booking
from .helpers import pay
from .helpers import payment_of
from .helpers import post_event
from .helpers import recorded_events
from .stripe_objects import sign


def offered(client: FlaskClient, tutor_id: int) -> set[str]:
    answer = client.get(
        f"/api/v1/tutors/{tutor_id}/slots?start=2030-01-07&end=2030-01-07&tz=UTC&duration=60"
    )
    assert answer.status_code == 200, answer.json
    return {slot["start_utc"] for slot in answer.json["slots"]}


def test_a_wrong_signature_is_refused_and_changes_nothing(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app)
    booking_id = book(world).json["id"]
    event = fake.complete(last_checkout(fake))
    body, _ = fake.signed(event)

    forged = world.client.post(
        "/payments/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": sign(body.decode(), "whsec_someone_else")},
    )
    unsigned = world.client.post("/payments/stripe/webhook", data=body)

    assert forged.status_code == 400
    assert forged.json["error"] == "bad_signature"
    assert "signature" in forged.json["detail"].lower()
    # Refused by the signature check, not by CSRF protection, which Stripe could not pass.
    assert (unsigned.status_code, unsigned.json["error"]) == (400, "bad_signature")
    assert fresh(Booking, booking_id).state == BookingState.HELD
    assert payment_of(booking_id).status == "pending"
    assert recorded_events() == []


def test_a_delivery_older_than_five_minutes_is_refused(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app)
    booking_id = book(world).json["id"]
    event = fake.complete(last_checkout(fake))

    stale = post_event(world.client, fake, event, timestamp=int(time.time()) - 301)

    assert stale.status_code == 400
    assert stale.json["error"] == "bad_signature"
    assert "tolerance" in stale.json["detail"]
    assert fresh(Booking, booking_id).state == BookingState.HELD
    assert recorded_events() == []
    # Four minutes old is within the tolerance.
    assert post_event(world.client, fake, event, int(time.time()) - 240).status_code == 200


def test_payment_confirms_the_booking_and_records_the_payment(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app)
    booking_id = book(world).json["id"]

    answer = pay(world, fake)

    assert answer.status_code == 200
    assert answer.json["outcome"] == "confirmed"
    booking = fresh(Booking, booking_id)
    assert (booking.state, booking.hold_expires_at) == (BookingState.CONFIRMED, None)
    payment = payment_of(booking_id)
    (intent_id,) = fake.intents
    assert (payment.status, payment.payment_reference) == ("paid", intent_id)
    assert audit_actions(booking_id) == ["held", "confirmed"]
    assert recorded_events() == ["checkout.session.completed"]


def test_the_same_event_twice_confirms_once(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app)
    booking_id = book(world).json["id"]
    event = fake.complete(last_checkout(fake))

    first = post_event(world.client, fake, event)
    second = post_event(world.client, fake, event)

    assert (first.json["outcome"], second.json["outcome"]) == ("confirmed", "duplicate")
    assert second.status_code == 200  # Stripe stops retrying on any 2xx
    assert audit_actions(booking_id) == ["held", "confirmed"]
    assert recorded_events() == ["checkout.session.completed"]


def test_an_expiry_arriving_after_payment_leaves_the_booking_confirmed(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    booking = paid_booking(world, fake)
    late = fake.emit("checkout.session.expired", {**fake.sessions[last_checkout(fake)]})
    late["data"]["object"]["status"] = "expired"

    answer = post_event(world.client, fake, late)

    assert answer.json["outcome"] == "unchanged"
    assert fresh(Booking, booking.id).state == BookingState.CONFIRMED
    assert payment_of(booking.id).status == "paid"
    assert audit_actions(booking.id) == ["held", "confirmed"]
    assert recorded_events() == ["checkout.session.completed", "checkout.session.expired"]


def test_an_abandoned_checkout_gives_the_slot_back_when_it_expires(
    app: Flask, client: FlaskClient, fake: FakeStripe, clock: FakeClock
) -> None:
    world = make_world(app)
    booking_id = book(world).json["id"]
    assert SOON not in offered(client, world.tutor.id)

    clock.now = fresh(Booking, booking_id).hold_expires_at  # type: ignore[assignment]
    answer = post_event(world.client, fake, fake.expire(last_checkout(fake)))

    assert answer.json["outcome"] == "released"
    assert fresh(Booking, booking_id).state == BookingState.EXPIRED
    assert payment_of(booking_id).status == "expired"
    assert audit_actions(booking_id) == ["held", "expired"]
    assert SOON in offered(client, world.tutor.id)
    rebooked = book(world)
    assert rebooked.status_code == 201, rebooked.json


def test_a_checkout_ended_early_releases_the_slot_at_once(
    app: Flask, client: FlaskClient, fake: FakeStripe
) -> None:
    world = make_world(app)
    booking_id = book(world).json["id"]

    answer = post_event(world.client, fake, fake.expire(last_checkout(fake)))

    assert answer.json["outcome"] == "released"
    assert fresh(Booking, booking_id).state == BookingState.CANCELLED
    assert SOON in offered(client, world.tutor.id)
    assert fake.calls("POST", "/v1/refunds") == []


def test_money_arriving_after_the_hold_was_released_goes_back(
    app: Flask, fake: FakeStripe, clock: FakeClock
) -> None:
    world = make_world(app)
    booking_id = book(world).json["id"]
    checkout = last_checkout(fake)
    clock.now = fresh(Booking, booking_id).hold_expires_at  # type: ignore[assignment]
    expired = fake.emit(
        "checkout.session.expired", {**fake.sessions[checkout], "status": "expired"}
    )
    post_event(world.client, fake, expired)

    answer = pay(world, fake, checkout)

    assert answer.json["outcome"] == "refunded_late_payment"
    assert fresh(Booking, booking_id).state == BookingState.EXPIRED
    (refund,) = fake.calls("POST", "/v1/refunds")
    assert refund.params["amount"] == "6000"
    payment = payment_of(booking_id)
    assert (payment.status, payment.refunded_cents) == ("refunded", 6000)


def test_refund_reports_are_recorded_once_and_never_go_backwards(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    booking = paid_booking(world, fake)
    (intent_id,) = fake.intents
    # Two refunds from Stripe's dashboard: 20.00, then the remaining 40.00.
    partial_events = dashboard_refund(fake, intent_id, amount=2000)
    partial = [e for e in partial_events if e["type"] == "charge.refunded"][0]
    whole = [e for e in dashboard_refund(fake, intent_id) if e["type"] == "charge.refunded"][0]

    outcomes = [post_event(world.client, fake, e).json["outcome"] for e in (whole, partial, whole)]

    assert outcomes == ["recorded", "recorded", "duplicate"]
    payment = payment_of(booking.id)
    assert (payment.status, payment.refunded_cents) == ("refunded", 6000)
    # A refund made at Stripe is recorded; it does not cancel the session.
    assert fresh(Booking, booking.id).state == BookingState.CONFIRMED


def test_events_the_tool_does_not_use_are_acknowledged(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app)
    event = fake.emit("customer.created", {"id": "cus_test_1", "object": "customer"})

    answer = post_event(world.client, fake, event)

    assert (answer.status_code, answer.json["outcome"]) == (200, "ignored")
    assert recorded_events() == ["customer.created"]
