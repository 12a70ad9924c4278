"""The learner's network goes away for 10 s and comes back: video and chat recover.

The learner's browser runs in a namespace of its own, joined to the server's by a veth pair;
taking that link down cuts its socket and its media at once, as a lost Wi-Fi would.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from lti_tool_video.models import ChatMessage
from playwright.sync_api import Page
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright

from .stack import decoded
from .stack import enter_room
from .stack import launch
from .stack import loopback_namespace
from .stack import serving
from .stack import wait_for_frames

pytestmark = pytest.mark.browser
HOST_IP = "10.203.0.1"
LEARNER_IP = "10.203.0.2"
OUTAGE_S = 10.0
RECOVERY_S = 3.0


@contextlib.contextmanager
def learner_namespace(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A namespace behind a veth pair; yields its name and a Chromium that starts inside it."""
    name = f"ltv-learner-{os.getpid()}"
    commands = [
        ["ip", "netns", "add", name],
        [
            "ip",
            "link",
            "add",
            "ltv-host",
            "type",
            "veth",
            "peer",
            "name",
            "ltv-learner",
            "netns",
            name,
        ],
        ["ip", "addr", "add", f"{HOST_IP}/30", "dev", "ltv-host"],
        ["ip", "link", "set", "ltv-host", "up"],
        ["ip", "-n", name, "addr", "add", f"{LEARNER_IP}/30", "dev", "ltv-learner"],
        ["ip", "-n", name, "link", "set", "ltv-learner", "up"],
        ["ip", "-n", name, "link", "set", "lo", "up"],
    ]
    try:
        for command in commands:
            subprocess.run(command, check=True)
        wrapper = tmp_path / "chromium-in-learner-namespace"
        wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {name} /usr/bin/chromium "$@"\n')
        wrapper.chmod(0o755)
        yield name, wrapper
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def link(namespace: str, state: str) -> float:
    subprocess.run(["ip", "-n", namespace, "link", "set", "ltv-learner", state], check=True)
    return time.monotonic()


def frames_flow_again(page: Page, since: float, limit: float) -> float:
    """Seconds from *since* until the page decodes new frames; fails after *limit*."""
    last = decoded(page)
    while time.monotonic() - since < limit + 2:
        time.sleep(0.1)
        now = decoded(page)
        if now["conn"] == last["conn"] and now["frames"] > last["frames"]:
            return time.monotonic() - since
        last = now
    raise AssertionError(f"video did not come back within {limit} s")


def test_learner_drops_for_ten_seconds_and_comes_back(tmp_path: Path) -> None:
    with (
        loopback_namespace(),
        serving(tmp_path, {}, host="0.0.0.0") as stack,
        learner_namespace(tmp_path) as (namespace, learner_chromium),
        sync_playwright() as playwright,
    ):
        tutor_browser = launch(playwright)
        origin = f"http://{HOST_IP}:{stack.port}"
        learner_browser = launch(
            playwright,
            executable=str(learner_chromium),
            args=[f"--unsafely-treat-insecure-origin-as-secure={origin}"],
        )
        try:
            booking = stack.world.booking_id
            tutor = enter_room(tutor_browser, stack.url, "tess@example.org", booking)
            learner = enter_room(learner_browser, origin, "leo@example.org", booking)
            for page in (tutor, learner):
                wait_for_frames(page)
            elapsed_before = int(
                tutor.get_attribute("[data-testid=session-timer]", "data-elapsed") or 0
            )

            down_at = link(namespace, "down")
            # One line goes out while the learner's page still believes it is online ...
            learner.fill("[data-testid=chat-input]", "sent as the line dropped")
            learner.press("[data-testid=chat-input]", "Enter")
            for page in (tutor, learner):
                status = page.locator("[data-testid=connection-status]")
                expect(status).to_have_attribute("data-state", "reconnecting", timeout=8000)
            # ... and one once it knows it is offline.
            learner.fill("[data-testid=chat-input]", "sent while offline")
            learner.press("[data-testid=chat-input]", "Enter")
            time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))

            up_at = link(namespace, "up")
            tutor_back = frames_flow_again(tutor, up_at, RECOVERY_S)
            learner_back = frames_flow_again(learner, up_at, RECOVERY_S)
            print(f"video back after {tutor_back:.2f} s (tutor), {learner_back:.2f} s (learner)")
            assert max(tutor_back, learner_back) <= RECOVERY_S

            for text in ("sent as the line dropped", "sent while offline"):
                line = tutor.locator("[data-testid=chat-body]", has_text=text)
                expect(line).to_have_count(1, timeout=5000)
            expect(learner.locator("[data-testid=chat-message][data-state=pending]")).to_have_count(
                0
            )
            for page in (tutor, learner):
                status = page.locator("[data-testid=connection-status]")
                expect(status).to_have_attribute("data-state", "connected")
            elapsed_after = int(
                tutor.get_attribute("[data-testid=session-timer]", "data-elapsed") or 0
            )
            assert elapsed_after >= elapsed_before + OUTAGE_S
        finally:
            learner_browser.close()
            tutor_browser.close()

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'room.sqlite'}")
    with engine.connect() as connection:
        bodies = connection.scalars(sa.select(ChatMessage.body).order_by(ChatMessage.id)).all()
    engine.dispose()
    assert bodies == ["sent as the line dropped", "sent while offline"]
