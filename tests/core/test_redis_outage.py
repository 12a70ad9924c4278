"""Redis going away degrades the tool instead of breaking it, and its return heals it.

Each test runs a Redis of its own on a free loopback port, so stopping it disturbs nobody.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from lti_tool.redis_health import guarded
from tests import services
from tests.conftest import app_in_context
from tests.standalone.journey import PASSWORD
from tests.standalone.journey import csrf_token
from tests.standalone.journey import log_out
from tests.standalone.journey import running_mail_server
from tests.standalone.journey import sign_up_and_verify


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayRedis:
    """A ``redis-server`` on loopback that a test may stop and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            services.missing("redis-server is not installed; Redis outage tests did not run")
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


def test_guarded_falls_back_only_while_redis_is_away(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with throwaway_redis(tmp_path) as server:
        client = redis.Redis.from_url(server.url, socket_connect_timeout=1)
        assert guarded(lambda: client.incr("tries"), lambda: -1, "test counter") == 1
        server.stop()
        with caplog.at_level(logging.WARNING, logger="lti_tool.redis_health"):
            answers = [
                guarded(lambda: client.incr("tries"), lambda: -1, "test counter") for _ in range(3)
            ]
        assert answers == [-1, -1, -1]
        # An outage is logged once, not once per call.
        assert sum("test counter" in r.getMessage() for r in caplog.records) == 1
        server.start()
        assert guarded(lambda: client.incr("tries"), lambda: -1, "test counter") == 1
        with pytest.raises(redis.exceptions.ResponseError):
            guarded(lambda: client.execute_command("NO-SUCH-COMMAND"), lambda: -1, "typo")


def _sign_in(app: Flask, email: str) -> int:
    client = app.test_client()
    response = client.post(
        "/login", data={"csrf_token": csrf_token(client), "email": email, "password": PASSWORD}
    )
    return response.status_code


def test_sign_in_works_while_redis_is_away_and_after_it_returns(
    sqlite_url: str, tmp_path: Path
) -> None:
    with (
        running_mail_server() as mail,
        throwaway_redis(tmp_path) as server,
        app_in_context(sqlite_url, redis_url=server.url, **mail.settings()) as app,
    ):
        client = app.test_client()
        sign_up_and_verify(client, mail, "owner@example.org")
        log_out(client)
        assert _sign_in(app, "owner@example.org") == 302

        server.stop()
        assert server.is_down()
        assert _sign_in(app, "owner@example.org") == 302

        server.start()
        assert _sign_in(app, "owner@example.org") == 302
