"""Tutor and learner meet in two Chromium pages through the real server, on loopback only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright

from .stack import decoded
from .stack import enter_room
from .stack import launch
from .stack import loopback_namespace
from .stack import serving
from .stack import wait_for_frames

pytestmark = pytest.mark.browser


def test_two_browsers_see_each_other_chat_and_share_a_screen(tmp_path: Path) -> None:
    with loopback_namespace(), serving(tmp_path, {}) as stack, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            booking = stack.world.booking_id
            tutor = enter_room(browser, stack.url, "tess@example.org", booking)
            learner = enter_room(browser, stack.url, "leo@example.org", booking)
            for page in (tutor, learner):
                status = page.locator("[data-testid=connection-status]")
                expect(status).to_have_attribute("data-state", "connected", timeout=20000)
            for page in (tutor, learner):
                wait_for_frames(page)
            before = decoded(tutor)["frames"]
            tutor.wait_for_timeout(1000)
            assert decoded(tutor)["frames"] > before, "the tutor's video of the learner stalled"
            expect(tutor.locator("[data-testid=diag-in-resolution]")).not_to_have_text("-")

            learner.fill("[data-testid=chat-input]", "Can you see my homework?")
            learner.click("[data-testid=chat-send]")
            line = tutor.locator("[data-testid=chat-body]", has_text="Can you see my homework?")
            expect(line).to_have_count(1)
            tutor.fill("[data-testid=chat-input]", "Yes, page two.")
            tutor.press("[data-testid=chat-input]", "Enter")
            expect(learner.locator("[data-testid=chat-body]", has_text="page two")).to_have_count(1)
            sent = learner.locator("[data-testid=chat-message][data-state=sent]")
            expect(sent).to_have_count(2)

            learner.click("[data-testid=toggle-camera]")
            camera = tutor.locator("[data-testid=remote-camera]")
            expect(camera).to_have_attribute("data-state", "off")
            expect(learner.locator("[data-testid=toggle-camera]")).to_have_attribute(
                "aria-pressed", "false"
            )

            tutor.click("[data-testid=share-screen]")
            screen = learner.locator("[data-testid=remote-screen]")
            expect(screen).to_have_attribute("data-state", "on")
            expect(tutor.locator("[data-testid=diag-rung]")).to_have_text(re.compile("^screen"))
            sending = tutor.evaluate(
                "() => lessonRoom.mainEntry().link.sender('video').track.contentHint"
            )
            assert sending == "detail"
            frames = decoded(learner)["frames"]
            learner.wait_for_timeout(2500)
            assert decoded(learner)["frames"] > frames, "the shared screen did not arrive"
            tutor.click("[data-testid=share-screen]")
            expect(screen).to_have_attribute("data-state", "off")
            expect(tutor.locator("[data-testid=diag-rung]")).not_to_have_text(re.compile("^screen"))
        finally:
            browser.close()
        assert "Traceback" not in stack.log(), stack.log()
