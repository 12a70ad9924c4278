"""The media worker: an aiortc peer that joins through the same signaling, records, replays.

Both people consent in their browsers; the web process starts ``lti-tool media-worker`` by
itself; the worker receives both cameras and sends the learner a replay; when the tutor ends
the session the worker closes its files, which must then play back.
"""

from __future__ import annotations

import time
from pathlib import Path

import av
import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright

from .stack import enter_room
from .stack import launch
from .stack import loopback_namespace
from .stack import serving
from .stack import wait_for_frames

pytestmark = pytest.mark.browser
RECORD_S = 6.0

WORKER_LINK_JS = """async () => {
  const entry = [...lessonRoom.peers.values()].find((e) => e.info.role === "worker");
  if (!entry?.link.pc) return {state: null, framesIn: 0};
  let framesIn = 0;
  (await entry.link.pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") framesIn = s.framesDecoded || 0;
  });
  return {state: entry.link.pc.connectionState, framesIn};
}"""


def worker_link(page: Page) -> dict[str, object]:
    result: dict[str, object] = page.evaluate(WORKER_LINK_JS)
    return result


def wait_until(check: object, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def playback(path: Path) -> tuple[int, float]:
    """Frames decoded and seconds spanned by the video of a recording."""
    frames = 0
    first = last = None
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frames += 1
            first = frame.time if first is None else first
            last = frame.time
    return frames, float((last or 0) - (first or 0))


def test_worker_records_both_people_and_replays_to_the_learner(tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    settings = {
        "recording": True,
        "recordings_dir": str(recordings),
        "worker_ice_addresses": ["127.0.0.1"],
    }
    with loopback_namespace(), serving(tmp_path, settings) as stack, sync_playwright() as pw:
        browser = launch(pw)
        booking = stack.world.booking_id
        worker_log = recordings / f"worker-{booking}.log"

        def logs() -> str:
            text = worker_log.read_text() if worker_log.exists() else "(no worker log)"
            return f"{stack.log()}\n--- worker ---\n{text}"

        try:
            tutor = enter_room(browser, stack.url, "tess@example.org", booking)
            learner = enter_room(browser, stack.url, "leo@example.org", booking)
            for page in (tutor, learner):
                wait_for_frames(page)
            for page in (tutor, learner):
                page.check("[data-testid=recording-consent]")
            for page in (tutor, learner):
                state = page.locator("[data-testid=recording-state]")
                expect(state).to_have_attribute("data-active", "true")
            for page in (tutor, learner):
                wait_until(lambda p=page: worker_link(p)["state"] == "connected", "worker link")
            time.sleep(RECORD_S)

            learner.evaluate("() => { lessonRoom.droppedAt = lessonRoom._serverNow() - 4000; }")
            learner.evaluate("() => lessonRoom._askReplay()")
            wait_until(lambda: int(worker_link(learner)["framesIn"]) > 10, "replayed video")  # type: ignore[call-overload]
            expect(learner.locator("[data-testid=replay-video]")).to_be_visible()

            tutor.click("[data-testid=end-session]")
            for page in (tutor, learner):
                status = page.locator("[data-testid=connection-status]")
                expect(status).to_have_attribute("data-state", "ended")
            wait_until(lambda: "stopped: session ended" in logs(), "the worker to stop", 15)
        except Exception:
            print(logs())
            raise
        finally:
            browser.close()

    files = sorted(recordings.glob(f"booking-{booking}-user-*.mp4"))
    people = {stack.world.tutor_id, stack.world.learner_id}
    assert {int(f.name.split("-user-")[1].split("-")[0]) for f in files} == people, files
    for path in files:
        frames, seconds = playback(path)
        assert seconds >= RECORD_S, (path, seconds)
        assert frames >= seconds * 5, (path, frames, seconds)
