"""A held booking moved to another length is paid at its new price, never at the old one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from lti_tool_payment.provider import StripeProvider

from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Payment
from lti_tool.models import db
from tests.booking import CSRF
from tests.booking import FakeClock

from .fake_stripe import FakeStripe
from .helpers import CHECKOUT
from .helpers import LATER
from .helpers import World
from .helpers import book
from .helpers import checkout_id
from .helpers import fresh
from .helpers import make_world
from .helpers import post_event


def payments(booking_id: int) -> list[tuple[str, int, int]]:
    db.session.rollback()
    rows = db.session.scalars(
        sa.select(Payment).where(Payment.booking_id == booking_id).order_by(Payment.id)
    )
    return [(p.status, p.amount_cents, p.refunded_cents) for p in rows]


def reschedule(world: World, booking_id: int, duration: int) -> dict[str, object]:
    answer = world.client.post(
        f"/api/v1/bookings/{booking_id}/reschedule",
        json={"start": LATER, "duration": duration},
        headers=CSRF,
    )
    assert answer.status_code == 200, answer.json
    return dict(answer.json)


def test_a_longer_hold_gets_a_new_checkout_at_its_new_price(
    app: Flask, fake: FakeStripe, clock: FakeClock
) -> None:
    world = make_world(app, price_cents=6000)
    held = book(world, start=LATER, duration=30).json
    old = checkout_id(held["redirect_url"])
    clock.advance(minutes=10)  # the learner thinks it over, then wants longer

    moved = reschedule(world, held["id"], 90)

    assert (moved["state"], moved["price_cents"]) == ("held", 9000)
    # The checkout at 3000 can no longer be paid.
    assert fake.sessions[old]["status"] == "expired"
    new_url = moved["redirect_url"]
    assert isinstance(new_url, str) and old not in new_url
    new = checkout_id(new_url)
    assert fake.sessions[new]["amount_total"] == 9000
    # Its hold was renewed with the new checkout, which Stripe accepted.
    assert fake.sessions[new]["expires_at"] > fake.sessions[old]["expires_at"]
    assert payments(held["id"]) == [("superseded", 3000, 0), ("pending", 9000, 0)]

    delivered = post_event(world.client, fake, fake.complete(new))

    assert delivered.json["outcome"] == "confirmed"
    assert fresh(Booking, held["id"]).state == BookingState.CONFIRMED
    assert payments(held["id"]) == [("superseded", 3000, 0), ("paid", 9000, 0)]


def test_paying_the_old_price_just_before_the_move_is_refunded_not_confirmed(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app, price_cents=6000)
    held = book(world, start=LATER, duration=30).json
    old = checkout_id(held["redirect_url"])
    # The learner pays the 3000 checkout; Stripe's webhook is still on its way.
    completed = fake.complete(old)

    moved = reschedule(world, held["id"], 90)
    late = post_event(world.client, fake, completed)

    assert late.status_code == 200
    assert late.json["outcome"] == "refunded_late_payment"
    booking = fresh(Booking, held["id"])
    assert (booking.state, booking.price_cents) == (BookingState.HELD, 9000)
    (refund,) = fake.calls("POST", "/v1/refunds")
    assert refund.params["amount"] == "3000"
    assert payments(held["id"])[0] == ("refunded", 3000, 3000)

    new = checkout_id(str(moved["redirect_url"]))
    assert post_event(world.client, fake, fake.complete(new)).json["outcome"] == "confirmed"
    assert fresh(Booking, held["id"]).state == BookingState.CONFIRMED


def test_a_move_that_keeps_the_price_keeps_the_checkout(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app, price_cents=6000)
    held = book(world, duration=60).json

    moved = reschedule(world, held["id"], 60)

    assert moved["redirect_url"] is None or moved["redirect_url"] == held["redirect_url"]
    assert len(fake.calls("POST", CHECKOUT)) == 1
    assert payments(held["id"]) == [("pending", 6000, 0)]


def test_even_if_the_old_checkout_was_never_retired_its_payment_confirms_nothing(
    app: Flask, fake: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(app, price_cents=6000)
    held = book(world, start=LATER, duration=30).json
    old = checkout_id(held["redirect_url"])
    # The process stops right after the move is committed, before the plugin hears of it.
    monkeypatch.setattr(StripeProvider, "supersede", lambda self, payment: None)
    monkeypatch.setattr(StripeProvider, "start_checkout", _unreachable)
    reschedule(world, held["id"], 90)
    monkeypatch.undo()

    paid_old = post_event(world.client, fake, fake.complete(old))

    assert paid_old.json["outcome"] == "refunded_late_payment"
    booking = fresh(Booking, held["id"])
    assert (booking.state, booking.price_cents) == (BookingState.HELD, 9000)
    assert payments(held["id"]) == [("refunded", 3000, 3000)]
    # The learner can still pay the right price from the booking page.
    answer = world.client.post(f"/bookings/{held['id']}/pay", headers=CSRF)
    new = checkout_id(answer.headers["Location"])
    assert fake.sessions[new]["amount_total"] == 9000
    assert post_event(world.client, fake, fake.complete(new)).json["outcome"] == "confirmed"


def _unreachable(*_args: object) -> None:
    raise ConnectionError("the process is gone")
