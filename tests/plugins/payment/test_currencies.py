"""Prices reach Stripe in each currency's own minor unit, as Stripe counts it."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from flask import Flask
from lti_tool_payment import amounts

from lti_tool.jobs.runner import run_due
from lti_tool.testing import app_in_context
from tests.booking import CSRF
from tests.booking import FakeClock

from .conftest import stripe_settings
from .fake_stripe import FakeStripe
from .helpers import CHECKOUT
from .helpers import book
from .helpers import make_world
from .helpers import paid_booking
from .helpers import payment_of


@pytest.fixture
def site(
    request: pytest.FixtureRequest, database_url: str, fake: FakeStripe, clock: FakeClock
) -> Iterator[Flask]:
    """An application whose currency is the test's parameter."""
    with app_in_context(database_url, currency=request.param, **stripe_settings(fake)) as app:
        app.config["CLOCK"] = clock
        yield app


@pytest.mark.parametrize(
    ("site", "hourly", "minutes", "unit_amount", "shown"),
    [
        # 3,500 yen an hour: yen have no minor unit, so 3500 is sent, not 350000.
        ("jpy", 3500, 60, "3500", "3500 JPY"),
        ("jpy", 3500, 45, "2625", "2625 JPY"),
        ("usd", 3500, 60, "3500", "35.00 USD"),
        # 12.500 dinars: fils are thousandths, so 12500 is sent, not 1250.
        ("kwd", 12500, 60, "12500", "12.500 KWD"),
        # 45 minutes of 12.340 KWD is 9.255; card networks settle three-decimal currencies
        # to the nearest ten fils, so the price is 9.260 (half up).
        ("kwd", 12340, 45, "9260", "9.260 KWD"),
    ],
    indirect=["site"],
)
def test_the_checkout_asks_for_the_price_in_the_currency_minor_unit(
    site: Flask, fake: FakeStripe, hourly: int, minutes: int, unit_amount: str, shown: str
) -> None:
    world = make_world(site, price_cents=hourly)

    answer = book(world, duration=minutes)

    assert answer.status_code == 201, answer.json
    (call,) = fake.calls("POST", CHECKOUT)
    price = call.params["line_items"][0]["price_data"]
    assert (price["unit_amount"], price["currency"]) == (unit_amount, site.config["CURRENCY"])
    # What the learner sees on Stripe's page is the amount the tutor asked for.
    with urllib.request.urlopen(answer.json["redirect_url"]) as response:
        assert shown in response.read().decode()
    payment = payment_of(answer.json["id"])
    assert (payment.amount_cents, payment.currency) == (int(unit_amount), site.config["CURRENCY"])


@pytest.mark.parametrize("site", ["jpy"], indirect=True)
def test_a_paid_yen_booking_is_confirmed_and_refunded_in_yen(site: Flask, fake: FakeStripe) -> None:
    world = make_world(site, price_cents=3500)
    booking = paid_booking(world, fake, start="2030-01-09T10:00:00Z")

    cancelled = world.client.delete(f"/api/v1/bookings/{booking.id}", headers=CSRF)
    run_due()

    assert cancelled.status_code == 200, cancelled.json
    (refund,) = fake.calls("POST", "/v1/refunds")
    assert refund.params["amount"] == "3500"
    payment = payment_of(booking.id)
    assert (payment.amount_cents, payment.refunded_cents, payment.status) == (
        3500,
        3500,
        "refunded",
    )


def test_stripe_amounts_differ_from_iso_only_where_stripe_says_so() -> None:
    # ISO gives ISK no decimals but Stripe still counts hundredths of a krona; ISO gives MGA
    # two decimals but Stripe none.
    assert amounts.to_stripe(500, "isk") == 50000
    assert amounts.from_stripe(50000, "isk") == 500
    assert amounts.to_stripe(12300, "mga") == 123
    with pytest.raises(amounts.UnchargeableAmount):
        amounts.to_stripe(12345, "mga")
    assert [amounts.to_stripe(1000, c) for c in ("usd", "jpy", "kwd", "huf")] == [1000] * 4
