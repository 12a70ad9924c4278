"""The fee model: the platform never pays to host a session, and docs/payments.md's worked
example is what the code computes, with the money following it through Stripe's API."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from flask import Flask
from lti_tool_payment import amounts
from lti_tool_payment.report import payments_group
from lti_tool_payment.settings import Settings

from lti_tool import money
from lti_tool.jobs.runner import run_due
from tests.booking import CSRF
from tests.booking import sign_in

from .fake_stripe import FakeStripe
from .helpers import LATER
from .helpers import make_world
from .helpers import paid_booking
from .helpers import payment_of

DOC = Path(__file__).parents[3] / "docs" / "payments.md"


def settings(platform: str, percent: str = "2.9", fixed: str = "0.30") -> Settings:
    return Settings(
        secret_key="sk_test_x",
        webhook_secret="whsec_x",
        api_base="http://127.0.0.1",
        platform_fee_percent=Decimal(platform),
        processing_fee_percent=Decimal(percent),
        processing_fee_fixed=Decimal(fixed),
        payment_methods=("card",),
    )


def documented_example() -> dict[str, int]:
    text = DOC.read_text()
    block = text.split("<!-- fee-example -->")[1].split("<!-- /fee-example -->")[0]
    rows = re.findall(r"^\| ([^|]+?) \| (-?[\d.]+) \|$", block, flags=re.M)
    return {label: money.to_minor(value, "usd") for label, value in rows}


def test_the_documented_worked_example_is_what_the_code_computes() -> None:
    doc = documented_example()
    split = amounts.split(doc["price"], "usd", settings("10"), connect=True)
    stripe_fee = money.share(doc["price"], Decimal("2.9")) + 30  # Stripe's US card price

    assert doc["platform share (10 %)"] == split.platform_share
    assert doc["processing allowance (2.9 % + 0.30)"] == split.processing
    assert doc["application fee"] == split.application_fee
    assert doc["tutor receives"] == split.tutor
    assert doc["Stripe's fee, paid by the platform"] == stripe_fee
    assert doc["platform keeps"] == split.application_fee - stripe_fee
    # A full refund: the learner gets the price back, the transfer is reversed, the platform
    # returns its share to the tutor and keeps the allowance, which paid Stripe's fee.
    tutor_after = split.price - split.application_fee - split.price + split.platform_share
    platform_after = split.application_fee - stripe_fee - split.platform_share
    assert doc["after a full refund: tutor"] == tutor_after
    assert doc["after a full refund: platform"] == platform_after


def test_with_the_default_settings_the_platform_never_loses_money() -> None:
    for price in (50, 999, 1000, 3333, 6000, 123456):
        split = amounts.split(price, "usd", settings("0"), connect=True)
        stripe_fee = min(money.share(price, Decimal("2.9")) + 30, price)
        assert split.application_fee >= stripe_fee, price
        assert split.tutor >= 0
    # Without Connect the platform collects everything and nothing is split.
    assert amounts.split(6000, "usd", settings("10"), connect=False).application_fee == 0
    # A currency without minor units rounds the fixed part up to a whole yen.
    assert amounts.split(3500, "jpy", settings("0"), connect=True).processing == 102 + 1


def test_a_connect_booking_and_its_refund_move_the_money_as_documented(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app, price_cents=5000, payout_account=fake.active_account())
    booking = paid_booking(world, fake, start=LATER)
    doc = documented_example()
    (checkout,) = fake.calls("POST", "/v1/checkout/sessions")
    intent = checkout.params["payment_intent_data"]
    assert int(intent["application_fee_amount"]) == doc["application fee"]
    payment = payment_of(booking.id)
    assert (payment.platform_fee_cents, payment.processing_fee_cents) == (500, 175)

    assert world.client.delete(f"/api/v1/bookings/{booking.id}", headers=CSRF).status_code == 200
    run_due()

    (refund,) = fake.calls("POST", "/v1/refunds")
    assert refund.params["reverse_transfer"] == "true"
    assert "refund_application_fee" not in refund.params
    (share_back,) = [c for c in fake.requests if c.path.endswith("/refunds") and "fee_" in c.path]
    assert share_back.params["amount"] == "500"
    tutor = sign_in(app.test_client(), world.tutor.user)
    page = tutor.get("/payments/stripe/payouts").text
    assert "-1.75 USD" in page


def test_the_payout_report_prints_each_paid_session_split(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app, price_cents=5000, payout_account=fake.active_account())
    booking = paid_booking(world, fake, start=LATER)

    table = app.test_cli_runner().invoke(payments_group, ["payout-report", str(world.tutor.id)])
    as_json = app.test_cli_runner().invoke(
        payments_group, ["payout-report", str(world.tutor.id), "--json"]
    )
    unknown = app.test_cli_runner().invoke(payments_group, ["payout-report", "999999"])
    bad_month = app.test_cli_runner().invoke(
        payments_group, ["payout-report", str(world.tutor.id), "--month", "soon"]
    )

    assert table.exit_code == 0, table.output
    assert (
        f"{booking.id}\t2030-01-09 10:00\t50.00 USD\t5.00 USD\t1.75 USD\t0.00 USD\t43.25 USD"
        in (table.output)
    )
    (line,) = json.loads(as_json.output)
    assert (line["price"], line["tutor_receives"], line["currency"]) == (5000, 4325, "usd")
    assert unknown.exit_code == 2 and "no tutor 999999" in unknown.output
    assert bad_month.exit_code == 2 and "YYYY-MM" in bad_month.output
