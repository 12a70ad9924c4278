"""The whole paid journey in a real browser: sign up, confirm the e-mail, find a tutor, book a
slot shown in the learner's timezone, pay on the (fake) Stripe page, come back to a confirmed
booking with its invite, and open the room."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.models import AvailabilityRule
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Payment
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.testing import make_test_app as make_app
from tests import services
from tests.live_server import live_server
from tests.standalone.journey import MailServer
from tests.standalone.journey import log_in_in_browser
from tests.standalone.journey import running_mail_server
from tests.standalone.journey import sign_up_in_browser
from tests.standalone.journey import verify_in_browser

from .conftest import WEBHOOK_SECRET
from .conftest import stripe_settings
from .fake_stripe import FakeStripe

pytestmark = pytest.mark.browser
LEARNER = "nia.learner@example.org"


def add_tutor() -> None:
    """A Tokyo tutor, 40.00 an hour, free 09:00-12:00 Tokyo time every day."""
    user = User(name="Kenji Tanaka", email="kenji@example.org", timezone="Asia/Tokyo")
    user.add_role(RoleName.TUTOR)
    tutor = TutorProfile(
        user=user, timezone="Asia/Tokyo", languages=["en"], price_cents=4000, min_notice_min=60
    )
    tutor.session_lengths = [60]
    tutor.subjects = [TutorSubject(subject=Subject(slug="algebra", name="Algebra"))]
    tutor.rules = [
        AvailabilityRule(weekday=day, start_time=dt.time(9), end_time=dt.time(12))
        for day in range(7)
    ]
    db.session.add(tutor)
    db.session.commit()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Flask, str, FakeStripe, MailServer]]:
    services.chromium_path()
    fake = FakeStripe(WEBHOOK_SECRET)
    with running_mail_server() as mail, fake.serve():
        app = make_app(
            f"sqlite:///{tmp_path / 'pay.sqlite'}", **mail.settings(), **stripe_settings(fake)
        )
        with app.app_context():
            db.create_all()
            add_tutor()
            db.session.remove()
        with live_server(app) as base_url:
            app.config["BASE_URL"] = base_url  # e-mailed links must reach this server
            fake.webhook_url = f"{base_url}/payments/stripe/webhook"
            yield app, base_url, fake, mail


def test_a_new_learner_pays_for_a_session_and_meets_the_tutor(
    site: tuple[Flask, str, FakeStripe, MailServer],
) -> None:
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    app, base_url, fake, mail = site
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=services.CHROMIUM, args=services.CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(timezone_id="America/New_York", locale="en-US")
            page = context.new_page()
            sign_up_in_browser(page, base_url, LEARNER, name="Nia Learner")
            verify_in_browser(page, mail, LEARNER)
            log_in_in_browser(page, base_url, LEARNER)

            page.goto(f"{base_url}/catalog")
            page.click("[data-testid=tutor-card] [data-testid=tutor-link]")
            expect(page.locator("[data-testid=picker-zone]")).to_have_value("America/New_York")
            slot = page.locator("[data-testid=slot]").first
            expect(slot).to_be_visible(timeout=15000)
            start = dt.datetime.fromisoformat(slot.get_attribute("data-start") or "")
            assert start.utcoffset() in {dt.timedelta(hours=-5), dt.timedelta(hours=-4)}
            tokyo = start.astimezone(dt.timezone(dt.timedelta(hours=9)))
            assert dt.time(9) <= tokyo.time() < dt.time(12)
            slot.click()
            page.click("[data-testid=picker-book]")

            page.wait_for_url(re.compile(re.escape(fake.url) + r"/pay/cs_test_\w+$"))
            expect(page.locator("h1")).to_have_text("Pay 40.00 USD")
            page.click("[data-testid=pay]")

            page.wait_for_url(re.compile(r".*/bookings/\d+\?checkout=success$"))
            state = page.locator("[data-testid=booking-state]")
            expect(state).to_have_attribute("data-state", "confirmed")
            local_time = page.locator("[data-testid=booking-local-time]")
            expect(local_time).to_contain_text(start.strftime("%H:%M"))
            expect(local_time).to_contain_text(
                "EST" if start.utcoffset() == dt.timedelta(hours=-5) else "EDT"
            )
            invite = page.locator("[data-testid=invite-link]")
            expect(invite).to_be_visible()
            ics = context.request.get(base_url + (invite.get_attribute("href") or ""))
            assert ics.ok and b"BEGIN:VEVENT" in ics.body()

            page.click("[data-testid=room-link]")
            page.wait_for_url(re.compile(r".*/rooms/\d+$"))
            expect(page.locator("h1")).to_have_text("Algebra with Kenji Tanaka")
        finally:
            browser.close()

    assert [status for _, status in fake.deliveries] == [200]
    with app.app_context():
        booking = db.session.scalars(sa.select(Booking)).one()
        payment = db.session.scalars(sa.select(Payment)).one()
        assert booking.state == BookingState.CONFIRMED
        assert booking.start_at == start
        assert (payment.status, payment.amount_cents) == ("paid", 4000)
