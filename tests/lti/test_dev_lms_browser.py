"""The development LMS in Chromium: the tool in an iframe, same-site with cookies and cross-site
(``localhost`` embedding ``127.0.0.1``) where only the postMessage storage gets the launch
through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.models import LtiIdentity
from lti_tool.models import Subject
from lti_tool.models import db
from lti_tool.testing import make_test_app as make_app
from tests import services
from tests.live_server import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    services.chromium_path()
    app = make_app(f"sqlite:///{tmp_path / 'lms.sqlite'}")
    with app.app_context():
        db.create_all()
        db.session.add(Subject(slug="algebra", name="Algebra"))
        db.session.commit()
        with live_server(app) as base_url:
            app.config["BASE_URL"] = base_url
            yield app, base_url
        db.session.remove()
        db.engine.dispose()


def launched_subs() -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(sa.select(LtiIdentity.sub)))


def test_dev_lms_launches_the_tool_in_an_iframe(site: tuple[Flask, str]) -> None:
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    _app, base_url = site
    cross_site = base_url.replace("127.0.0.1", "localhost")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=services.CHROMIUM,
            # Browsers increasingly refuse cookies to embedded third-party frames outright.
            args=[*services.CHROMIUM_ARGS, "--test-third-party-cookie-phaseout"],
        )
        try:
            page = browser.new_context().new_page()
            # Same site: the state cookie comes back and the session lives in the iframe.
            page.goto(f"{base_url}/dev/lms")
            page.select_option("[data-testid=dev-lms-person]", "ada")
            page.select_option("[data-testid=dev-lms-subject]", "algebra")
            page.click("[data-testid=dev-lms-launch]")
            frame = page.frame_locator("iframe[name=tool-frame]")
            expect(frame.locator("[data-testid=viewer-name]")).to_have_text("Ada Lovelace")
            assert page.frame(name="tool-frame").url == f"{base_url}/subjects/algebra"

            # Cross site over plain HTTP the browser keeps no cookie for the tool.
            other = browser.new_context().new_page()
            other.goto(f"{cross_site}/dev/lms")
            other.select_option("[data-testid=dev-lms-person]", "ben")
            other.click("[data-testid=dev-lms-launch]")
            frame = other.frame_locator("iframe[name=tool-frame]")
            expect(frame.locator("[data-testid=lti-error-reason]")).to_contain_text(
                "third-party cookies"
            )
            assert "dev-ben" not in launched_subs()

            # ...so the platform's storage carries the state instead.
            other.check("[data-testid=dev-lms-storage]")
            other.select_option("[data-testid=dev-lms-subject]", "algebra")
            other.click("[data-testid=dev-lms-launch]")
            tool_frame = other.frame(name="tool-frame")
            assert tool_frame is not None
            tool_frame.wait_for_url(f"{base_url}/subjects/algebra", timeout=15000)
            expect(other.frame_locator("iframe[name=tool-frame]").locator("h1")).to_have_text(
                "Algebra"
            )
            assert "dev-ben" in launched_subs()
        finally:
            browser.close()
