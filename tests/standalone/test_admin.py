"""The admin pages: only admins, read-only registrations, subjects, refunds, weekly chart."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.models import BookingState
from lti_tool.models import Payment
from lti_tool.models import PaymentRefund
from lti_tool.models import Registration
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import db
from tests.standalone.conftest import Clock
from tests.standalone.factories import act_as
from tests.standalone.factories import person
from tests.standalone.factories import session
from tests.standalone.factories import tutor
from tests.standalone.journey import csrf_token

PAGES = ["/admin/", "/admin/registrations", "/admin/subjects", "/admin/users"]
PAGES += ["/admin/bookings", "/admin/refunds"]


@pytest.mark.parametrize("role", [None, RoleName.LEARNER, RoleName.TUTOR, RoleName.INSTRUCTOR])
def test_admin_pages_need_the_admin_role(
    app: Flask, client: FlaskClient, role: RoleName | None
) -> None:
    if role is not None:
        someone = person("Someone Else", "UTC", role)
        db.session.commit()
        act_as(client, someone)
    for page in PAGES:
        assert client.get(page).status_code == (401 if role is None else 403), page
    token = csrf_token(client)
    refused = client.post("/admin/subjects", data={"csrf_token": token, "name": "Hacking"})
    assert refused.status_code == (401 if role is None else 403)
    assert db.session.scalar(sa.select(Subject).where(Subject.name == "Hacking")) is None


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> None:
    root = person("Ada Admin", "Europe/London", RoleName.ADMIN)
    db.session.commit()
    act_as(client, root)


def test_every_admin_page_opens(client: FlaskClient, admin: None) -> None:
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
        assert "Administration" in response.get_data(as_text=True)


def test_registrations_are_listed_read_only(client: FlaskClient, admin: None) -> None:
    db.session.add(
        Registration(
            lms="moodle",
            issuer="https://moodle.example.edu",
            client_id="abc123",
            auth_login_url="https://moodle.example.edu/auth",
            auth_token_url="https://moodle.example.edu/token",
            key_set_url="https://moodle.example.edu/certs",
        )
    )
    db.session.commit()
    page = client.get("/admin/registrations").get_data(as_text=True)
    assert "https://moodle.example.edu" in page and "abc123" in page
    assert "<form" not in page.split("<main", 1)[1]


def test_adding_a_subject(client: FlaskClient, admin: None) -> None:
    token = csrf_token(client, "/admin/subjects")
    added = client.post(
        "/admin/subjects", data={"csrf_token": token, "name": "Music Theory", "description": "x"}
    )
    assert added.status_code == 302
    subject = db.session.scalar(sa.select(Subject).where(Subject.name == "Music Theory"))
    assert subject is not None and subject.slug == "music-theory"
    again = client.post("/admin/subjects", data={"csrf_token": token, "name": "Music Theory"})
    assert again.status_code == 409
    empty = client.post("/admin/subjects", data={"csrf_token": token, "name": " "})
    assert empty.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subject)) == 1


def test_refunds_and_the_weekly_chart(client: FlaskClient, admin: None, clock: Clock) -> None:
    kenji = tutor(
        "Kenji Tanaka", "Asia/Tokyo", languages=["en"], price_cents=4000, subjects=["algebra"]
    )
    nia = person("Nia Learner", "America/New_York")
    monday = dt.datetime(2030, 1, 7, 1, tzinfo=dt.UTC)
    for weeks_ago, count in ((0, 1), (1, 3), (3, 2)):
        for n in range(count):
            start = monday - dt.timedelta(weeks=weeks_ago) + dt.timedelta(hours=2 * n)
            session(kenji, nia, start)
    cancelled = session(kenji, nia, monday + dt.timedelta(days=1), BookingState.CANCELLED)
    db.session.add_all(
        [
            Payment(
                booking_id=cancelled.id,
                provider="stripe",
                external_id="cs_1",
                payment_reference="pi_refunded",
                status="refunded",
                amount_cents=4000,
                currency="usd",
                refunded_cents=4000,
            ),
            Payment(
                booking_id=cancelled.id,
                provider="stripe",
                external_id="cs_2",
                payment_reference="pi_kept",
                status="paid",
                amount_cents=4000,
                currency="usd",
            ),
        ]
    )
    db.session.flush()
    refunded, kept = db.session.scalars(sa.select(Payment).order_by(Payment.id)).all()
    tries = [
        PaymentRefund(
            payment_id=kept.id,
            request_key=f"k{n}",
            amount_cents=4000,
            attempt=n,
            status="failed",
            failure_reason="expired_or_canceled_card",
        )
        for n in (1, 2, 3)
    ]
    db.session.add_all(
        [
            PaymentRefund(
                payment_id=refunded.id, request_key="k0", amount_cents=4000, status="succeeded"
            ),
            *tries,
        ]
    )
    db.session.flush()
    tries[1].retry_of_id, tries[2].retry_of_id = tries[0].id, tries[1].id
    db.session.commit()
    refunds = client.get("/admin/refunds").get_data(as_text=True)
    assert "pi_refunded" in refunds and "pi_kept" in refunds
    assert "40.00 USD" in refunds
    assert refunds.count('data-status="failed"') == 3
    # Only the last failed attempt, with no retry left, is flagged for a person.
    assert refunds.count('data-testid="needs-a-person"') == 1
    assert "expired or canceled card" in refunds

    overview = client.get("/admin/").get_data(as_text=True)
    svg = re.search(r"<svg.*?</svg>", overview, re.S)
    assert svg is not None
    bars = dict(re.findall(r'data-week="([\d-]+)" data-count="(\d+)"', svg.group(0)))
    assert len(bars) == 12
    assert bars["2030-01-07"] == "1"
    assert bars["2029-12-31"] == "3"
    assert bars["2029-12-24"] == "0"
    assert bars["2029-12-17"] == "2"
    assert 'role="img"' in svg.group(0) and "<title" in svg.group(0)
    assert "<script" not in overview
