"""A newcomer in New York signs up, confirms by e-mail, finds a Tokyo tutor and sees slots."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.models import User
from lti_tool.models import db
from lti_tool.testing import make_test_app as make_app
from tests import services
from tests.live_server import live_server
from tests.standalone.factories import tutor
from tests.standalone.journey import MailServer
from tests.standalone.journey import log_in_in_browser
from tests.standalone.journey import sign_up_in_browser
from tests.standalone.journey import verify_in_browser

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path: Path, mail: MailServer) -> Iterator[tuple[Flask, str]]:
    services.chromium_path()
    app = make_app(f"sqlite:///{tmp_path / 'site.sqlite'}", **mail.settings())
    with app.app_context():
        db.create_all()
        tutor(
            "Kenji Tanaka",
            "Asia/Tokyo",
            languages=["ja", "en"],
            price_cents=4000,
            subjects=["algebra"],
        )
        tutor(
            "Ana Souza",
            "America/Sao_Paulo",
            languages=["pt"],
            price_cents=3000,
            subjects=["algebra"],
        )
        db.session.commit()
        db.session.remove()
    with live_server(app) as base_url:
        # Links in e-mail are built from the public URL, which is only known now.
        app.config["BASE_URL"] = base_url
        yield app, base_url


def test_sign_up_verify_find_a_tutor_and_see_slots_in_my_zone(
    site: tuple[Flask, str], mail: MailServer
) -> None:
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    app, base_url = site
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=services.CHROMIUM, args=services.CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(timezone_id="America/New_York", locale="en-US")
            page = context.new_page()
            sign_up_in_browser(page, base_url, "nia@example.org", name="Nia Learner")
            with app.app_context():
                nia = db.session.scalar(sa.select(User).where(User.email == "nia@example.org"))
                assert nia is not None and nia.timezone == "America/New_York"
                assert nia.email_verified_at is None
                db.session.remove()

            verify_in_browser(page, mail, "nia@example.org")
            expect(page.locator(".flash-success")).to_contain_text("confirmed")
            expect(page.locator("[data-testid=email]")).to_have_value("nia@example.org")
            log_in_in_browser(page, base_url, "nia@example.org")
            expect(page.locator("[data-testid=viewer-name]")).to_have_text("Nia Learner")

            page.click("text=Find a tutor")
            expect(page.locator("[data-testid=tutor-card]")).to_have_count(2)
            page.select_option("[data-testid=filter-language]", "ja")
            page.click("[data-testid=filter-submit]")
            cards = page.locator("[data-testid=tutor-card]")
            expect(cards).to_have_count(1)
            next_free = cards.first.locator("[data-testid=next-free]")
            expect(next_free).to_contain_text(re.compile(r"E[SD]T$"))
            instant = dt.datetime.fromisoformat(next_free.get_attribute("datetime") or "")
            assert dt.time(9) <= instant.astimezone(dt.timezone(dt.timedelta(hours=9))).time()

            cards.first.locator("[data-testid=tutor-link]").click()
            page.wait_for_url(re.compile(r".*/tutors/\d+$"))
            expect(page.locator("[data-testid=picker-zone]")).to_have_value("America/New_York")
            slot = page.locator("[data-testid=slot]").first
            expect(slot).to_be_visible(timeout=15000)
            start = dt.datetime.fromisoformat(slot.get_attribute("data-start") or "")
            assert start.utcoffset() in {dt.timedelta(hours=-5), dt.timedelta(hours=-4)}
            tokyo = start.astimezone(dt.timezone(dt.timedelta(hours=9)))
            assert dt.time(9) <= tokyo.time() < dt.time(12)
            expect(slot).to_contain_text(start.strftime("%H:%M"))
            expect(slot).to_contain_text(f"tutor {tokyo.strftime('%H:%M')}")
            # The catalog's "next free" is the picker's first slot.
            assert start == instant
            expect(page.locator("[data-testid=tutor-reviews]")).to_contain_text("No reviews yet")
        finally:
            browser.close()
