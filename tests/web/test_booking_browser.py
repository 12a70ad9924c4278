"""A tutor in Tokyo publishes hours; a learner in New York books one in a real browser."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import icalendar
import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page

from lti_tool.models import Booking
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.testing import make_test_app as make_app
from tests import services
from tests.live_server import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    services.chromium_path()
    app = make_app(f"sqlite:///{tmp_path / 'browser.sqlite'}")
    with app.app_context():
        db.create_all()
        algebra = Subject(slug="algebra", name="Algebra")
        tutor_user = User(name="Kenji Tanaka", email="kenji@example.org", timezone="Asia/Tokyo")
        tutor_user.add_role(RoleName.TUTOR)
        tutor = TutorProfile(user=tutor_user, timezone="Asia/Tokyo", languages=["ja", "en"])
        tutor.session_lengths = [60]
        tutor.min_notice_min = 60
        tutor.subjects = [TutorSubject(subject=algebra)]
        learner = User(name="Nia Learner", email="nia@example.org")
        learner.add_role(RoleName.LEARNER)
        db.session.add_all([tutor, learner])
        db.session.commit()
        db.session.remove()
    with live_server(app) as base_url:
        yield app, base_url


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/dev/sign-in")
    option = page.locator("[data-testid=dev-user] option", has_text=email)
    page.select_option("[data-testid=dev-user]", value=option.get_attribute("value"))
    page.click("[data-testid=dev-sign-in]")
    page.wait_for_url(re.compile(r".*/sessions$"))


#: Reports every Content-Security-Policy violation of a page to its console.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


def test_tokyo_tutor_and_new_york_learner_agree_on_the_instant(site: tuple[Flask, str]) -> None:
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    app, base_url = site
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=services.CHROMIUM, args=services.CHROMIUM_ARGS
        )
        try:
            violations: list[str] = []
            tutor_context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-US")
            tutor_context.add_init_script(REPORT_CSP_VIOLATIONS)
            tutor = tutor_context.new_page()
            tutor.on("console", lambda message: violations.append(message.text))
            sign_in(tutor, base_url, "kenji@example.org")
            tutor.goto(f"{base_url}/tutor/availability")
            expect(tutor.locator("[data-testid=timezone]")).to_have_value("Asia/Tokyo")
            for day in range(7):  # every weekday, so the first bookable week has hours
                tutor.click(f"[data-testid=add-range-{day}]")
                tutor.fill(f"[data-testid=range-{day}-0-start]", "09:00")
                tutor.fill(f"[data-testid=range-{day}-0-end]", "12:00")
            tutor.click("[data-testid=save]")
            expect(tutor.locator("[data-testid=summary]")).to_contain_text("Mon 09:00-12:00")

            learner_context = browser.new_context(timezone_id="America/New_York", locale="en-US")
            learner_context.add_init_script(REPORT_CSP_VIOLATIONS)
            learner = learner_context.new_page()
            learner.on("console", lambda message: violations.append(message.text))
            sign_in(learner, base_url, "nia@example.org")
            with app.app_context():
                tutor_id = db.session.scalars(sa.select(TutorProfile.id)).one()
            learner.goto(f"{base_url}/tutors/{tutor_id}")
            expect(learner.locator("[data-testid=picker-zone]")).to_have_value("America/New_York")
            slot = learner.locator("[data-testid=slot]").first
            expect(slot).to_be_visible(timeout=15000)
            start_text = slot.get_attribute("data-start") or ""
            start = dt.datetime.fromisoformat(start_text)
            assert start.utcoffset() in {dt.timedelta(hours=-5), dt.timedelta(hours=-4)}
            tokyo = start.astimezone(dt.timezone(dt.timedelta(hours=9)))
            assert dt.time(9) <= tokyo.time() < dt.time(12)
            # The button shows the New York wall clock and the tutor's Tokyo wall clock.
            expect(slot).to_contain_text(start.strftime("%H:%M"))
            expect(slot).to_contain_text(f"tutor {tokyo.strftime('%H:%M')}")
            slot.click()
            learner.click("[data-testid=picker-book]")
            learner.wait_for_url(re.compile(r".*/bookings/\d+$"))
            expect(learner.locator("[data-testid=booking-local-time]")).to_contain_text(
                start.strftime("%H:%M")
            )
            expect(learner.locator("[data-testid=booking-local-time]")).to_contain_text(
                "EST" if start.utcoffset() == dt.timedelta(hours=-5) else "EDT"
            )
            booking_id = int(learner.url.rsplit("/", 1)[1])

            with app.app_context():
                booking = db.session.get(Booking, booking_id)
                assert booking is not None
                assert booking.start_at == start
                assert db.session.get(User, booking.learner_id).timezone == "America/New_York"  # type: ignore[union-attr]

            tutor.goto(f"{base_url}/sessions")
            row = tutor.locator(f"[data-booking-id='{booking_id}'] [data-testid=session-time]")
            expect(row).to_contain_text(f"{tokyo.strftime('%H:%M')} JST")

            invite = learner_context.request.get(f"{base_url}/bookings/{booking_id}/invite.ics")
            assert invite.ok
            event = next(iter(icalendar.Calendar.from_ical(invite.body()).walk("VEVENT")))
            assert event.decoded("DTSTART") == start
            assert [text for text in violations if "CSP violation" in text] == []
        finally:
            browser.close()
