"""A whole room on this machine: a network namespace, the real server, browsers.

WebRTC gathers candidates on every interface, so media tests run in a network namespace of
their own that has only loopback (and, for the drop test, a veth pair into a second
namespace). The calling thread switches namespace with ``unshare(2)`` and switches back with
``setns(2)``; threads and processes it starts meanwhile (the server, Chromium, the media
worker) stay inside.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import Playwright

from lti_tool.models import db
from lti_tool.testing import make_test_app as make_app
from tests import services

from .world import World
from .world import build

CLONE_NEWNET = 0x40000000
LTI_TOOL = Path(sys.executable).parent / "lti-tool"
BROWSER_ARGS = [
    *services.CHROMIUM_ARGS,
    "--allow-loopback-in-peer-connection",
    "--auto-select-desktop-capture-source=Entire screen",
    "--autoplay-policy=no-user-gesture-required",
    # Host candidates as plain addresses: the aiortc peer cannot resolve mDNS names here.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


def _require_tools() -> None:
    services.chromium_path()
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        services.missing("root with unshare and ip is needed to keep media tests on loopback")


@contextlib.contextmanager
def loopback_namespace() -> Iterator[None]:
    """Run the calling thread in a fresh network namespace with only ``lo`` up."""
    _require_tools()
    libc = ctypes.CDLL(None, use_errno=True)
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if libc.unshare(CLONE_NEWNET) != 0:
            services.missing(f"unshare(CLONE_NEWNET) failed: {os.strerror(ctypes.get_errno())}")
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        yield
    finally:
        if libc.setns(original, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "could not return to the original namespace")
        os.close(original)


@dataclass
class Stack:
    url: str
    world: World
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_healthy(stack: Stack) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            raise AssertionError(f"server exited\n{stack.log()}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(stack.url + "/readyz", timeout=1) as response:
                if response.status == 200:
                    return
        time.sleep(0.1)
    raise AssertionError(f"server did not start\n{stack.log()}")


def seed(tmp_path: Path) -> tuple[str, World]:
    """A SQLite database with a booking's tutor, learner and others; its URL and the world."""
    database_url = f"sqlite:///{tmp_path / 'room.sqlite'}"
    app = make_app(database_url)
    with app.app_context():
        db.create_all()
        world = build()
        db.session.remove()
        db.engine.dispose()
    return database_url, world


@contextlib.contextmanager
def serving(
    tmp_path: Path,
    video: dict[str, Any],
    host: str = "127.0.0.1",
    *,
    seeded: tuple[str, World] | None = None,
    env: dict[str, str] | None = None,
    name: str = "server",
) -> Iterator[Stack]:
    """Serve a seeded SQLite database (a fresh one unless *seeded*) with ``lti-tool serve``
    (eventlet); *env* adds settings such as a shared Redis."""
    database_url, world = seeded or seed(tmp_path)
    config = tmp_path / f"{name}.toml"
    config.write_text(
        "[plugins.video]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in video.items())
    )
    port = services.free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LTI_TOOL_")},
        "LTI_TOOL_DATABASE_URL": database_url,
        "LTI_TOOL_CONFIG": str(config),
        "LTI_TOOL_BASE_URL": f"http://127.0.0.1:{port}",
        **(env or {}),
    }
    log_path = tmp_path / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(LTI_TOOL), "serve", "--host", host, "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = Stack(f"http://127.0.0.1:{port}", world, process, log_path, port)
    try:
        _wait_healthy(stack)
        yield stack
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def launch(
    playwright: Playwright, executable: str = services.CHROMIUM, args: list[str] | None = None
) -> Browser:
    return playwright.chromium.launch(
        executable_path=executable, args=[*BROWSER_ARGS, *(args or [])]
    )


def enter_room(browser: Browser, base_url: str, email: str, booking_id: int) -> Page:
    page = browser.new_context(base_url=base_url).new_page()
    page.goto("/dev/sign-in")
    option = page.locator("[data-testid=dev-user] option", has_text=email)
    page.select_option("[data-testid=dev-user]", value=option.get_attribute("value"))
    page.click("[data-testid=dev-sign-in]")
    page.wait_for_url("**/sessions")
    page.goto(f"/rooms/{booking_id}")
    return page


# Frames decoded from the other person, read straight from the current peer connection.
DECODED_JS = """async () => {
  const entry = window.lessonRoom?.mainEntry();
  if (!entry?.link.pc) return {conn: null, frames: 0};
  let frames = 0;
  (await entry.link.pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") {
      frames = Math.max(frames, s.framesDecoded || 0);
    }
  });
  return {conn: entry.link.conn, frames};
}"""


def decoded(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(DECODED_JS)
    return result


def wait_for_frames(page: Page, more_than: int = 10, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if decoded(page)["frames"] > more_than:
            return
        time.sleep(0.2)
    raise AssertionError(f"no video decoded: {decoded(page)}")
