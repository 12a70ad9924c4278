"""Which outside services the tests may use, and what happens when one is missing.

PostgreSQL, Redis and Chromium tests skip on a machine that lacks them, loudly; with
``LTI_TOOL_REQUIRE_SERVICES=1`` (set by ``.ci/run``) a missing service fails the test instead,
so CI always runs everything.

:func:`free_port` and :class:`ThrowawayRedis` give a test a port, or a Redis it may stop, of its
own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


def services_required() -> bool:
    return os.environ.get("LTI_TOOL_REQUIRE_SERVICES", "") not in {"", "0", "false"}


def missing(reason: str) -> None:
    """Skip (or, when services are required, fail) the current test."""
    message = f"SERVICE MISSING: {reason}"
    if services_required():
        pytest.fail(message + " (LTI_TOOL_REQUIRE_SERVICES is set)", pytrace=False)
    pytest.skip(message)


def postgres_url() -> str:
    url = os.environ.get("LTI_TOOL_TEST_POSTGRES_URL", "")
    if not url:
        missing("LTI_TOOL_TEST_POSTGRES_URL is not set; PostgreSQL tests did not run")
    return url


def redis_url() -> str:
    url = os.environ.get("LTI_TOOL_TEST_REDIS_URL", "")
    if not url:
        missing("LTI_TOOL_TEST_REDIS_URL is not set; Redis tests did not run")
    return url


def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing(f"{CHROMIUM} not found; browser tests did not run")
    return CHROMIUM


def free_port() -> int:
    """A loopback port nothing listens on now; the caller binds it soon after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayRedis:
    """A ``redis-server`` on loopback that a test may stop and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server is not installed; Redis outage tests did not run")
        assert binary is not None
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        for _ in range(200):
            with contextlib.suppress(redis.exceptions.ConnectionError):
                if client.ping():
                    return
            if self.process.poll() is not None:
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not come up")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def is_down(self) -> bool:
        try:
            redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
        except redis.exceptions.ConnectionError:
            return True
        return False


@contextlib.contextmanager
def throwaway_redis(workdir: Path) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
