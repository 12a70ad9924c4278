"""The dashboard: a learner's sessions and receipts; a tutor's schedule, earnings, payouts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lti_tool import hookimpl
from lti_tool.models import BookingState
from lti_tool.models import Payment
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.payments import CheckoutStart
from tests.standalone.conftest import Clock
from tests.standalone.factories import act_as
from tests.standalone.factories import person
from tests.standalone.factories import review
from tests.standalone.factories import session
from tests.standalone.factories import tutor
from tests.standalone.journey import csrf_token

NOW = dt.datetime(2030, 1, 7, 12, tzinfo=dt.UTC)


@pytest.fixture
def history(app: Flask, clock: Clock) -> dict[str, int]:
    kenji = tutor(
        "Kenji Tanaka", "Asia/Tokyo", languages=["en"], price_cents=4000, subjects=["algebra"]
    )
    nia = person("Nia Learner", "America/New_York")
    bookings = {
        "upcoming": session(kenji, nia, NOW + dt.timedelta(days=1), BookingState.CONFIRMED),
        "held": session(kenji, nia, NOW + dt.timedelta(days=2), BookingState.HELD),
        "rated": session(kenji, nia, NOW - dt.timedelta(days=7)),
        "unrated": session(kenji, nia, NOW - dt.timedelta(days=6)),
        "free": session(kenji, nia, NOW - dt.timedelta(days=5), price_cents=0),
        "cancelled": session(kenji, nia, NOW - dt.timedelta(days=4), BookingState.CANCELLED),
    }
    review(bookings["rated"], 5)
    ids = {key: booking.id for key, booking in bookings.items()}
    for key, fee in (("rated", 400), ("unrated", 400), ("upcoming", 400)):
        db.session.add(
            Payment(
                booking_id=ids[key],
                provider="stripe",
                external_id=f"cs_{key}",
                status="paid",
                amount_cents=4000,
                currency="usd",
                platform_fee_cents=fee,
            )
        )
    db.session.add(
        Payment(
            booking_id=ids["cancelled"],
            provider="stripe",
            external_id="cs_cancelled",
            status="refunded",
            amount_cents=4000,
            currency="usd",
            refunded_cents=4000,
            platform_fee_cents=0,
        )
    )
    db.session.commit()
    ids["kenji"], ids["nia"] = kenji.user_id, nia.id
    return ids


def section(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</table>', page, re.S)
    assert match is not None, testid
    return match.group(1)


def rows(page: str, testid: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-booking-id="(\d+)"', section(page, testid))]


def test_learner_dashboard(client: FlaskClient, history: dict[str, int]) -> None:
    act_as(client, db.session.get(User, history["nia"]))  # type: ignore[arg-type]
    page = client.get("/dashboard").get_data(as_text=True)
    assert rows(page, "upcoming") == [history["upcoming"], history["held"]]
    upcoming = section(page, "upcoming")
    assert f'href="/rooms/{history["upcoming"]}" data-testid="join"' in upcoming
    assert upcoming.count('data-testid="join"') == 1
    assert "Tue 8 Jan 2030, 07:00 EST" in upcoming
    past = section(page, "past")
    assert rows(page, "past") == [
        history["cancelled"],
        history["free"],
        history["unrated"],
        history["rated"],
    ]
    assert past.count('data-testid="rate"') == 2  # the free one and the unrated one
    assert f'href="/bookings/{history["unrated"]}/review"' in past
    assert f'href="/bookings/{history["rated"]}/review"' not in past
    receipts = section(page, "receipts")
    assert history["free"] not in rows(page, "receipts")
    assert "40.00 USD (refunded)" in receipts
    assert "Teaching" not in page


def test_tutor_dashboard_earnings_less_the_fee(
    client: FlaskClient, history: dict[str, int]
) -> None:
    act_as(client, db.session.get(User, history["kenji"]))  # type: ignore[arg-type]
    page = client.get("/dashboard").get_data(as_text=True)
    assert rows(page, "schedule") == [history["upcoming"], history["held"]]
    earnings = page.split('data-testid="earnings"')[1]
    # Three completed sessions (two paid at 40.00, one at 0) less two fees of 4.00.
    assert "<dd>3</dd>" in earnings
    assert "80.00 USD" in earnings and "8.00 USD" in earnings
    assert re.search(r'data-testid="earnings-net">72.00 USD<', earnings)
    assert "Payouts are not configured on this site." in page


class PayoutProvider:
    name = "test-payouts"
    pays_out_tutors = True

    def requires_payment(self, booking: object) -> bool:
        return False

    def start_checkout(self, booking: object, return_url: str) -> CheckoutStart:
        return CheckoutStart(redirect_url=None)

    def refund(self, booking: object, amount_cents: int, reason: str) -> None:
        pass

    def payout_onboarding_url(self, tutor: TutorProfile, return_url: str | None = None) -> str:
        return f"https://payments.example/onboard/{tutor.id}"


class PayoutPlugin:
    @hookimpl
    def payment_provider(self) -> PayoutProvider:
        return PayoutProvider()


def test_payouts_go_through_the_provider(
    client: FlaskClient, history: dict[str, int], register_plugin: object
) -> None:
    kenji = db.session.get(User, history["kenji"])
    assert kenji is not None and kenji.tutor_profile is not None
    act_as(client, kenji)
    token = csrf_token(client, "/dashboard")
    assert client.post("/tutor/payouts", data={"csrf_token": token}).status_code == 404
    register_plugin(PayoutPlugin())  # type: ignore[operator]
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="payouts"' in page
    response = client.post("/tutor/payouts", data={"csrf_token": token})
    assert response.status_code == 302
    assert (
        response.headers["Location"] == f"https://payments.example/onboard/{kenji.tutor_profile.id}"
    )


def test_learners_cannot_start_payouts(client: FlaskClient, history: dict[str, int]) -> None:
    act_as(client, db.session.get(User, history["nia"]))  # type: ignore[arg-type]
    token = csrf_token(client, "/dashboard")
    assert client.post("/tutor/payouts", data={"csrf_token": token}).status_code == 403
