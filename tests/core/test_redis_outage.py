"""Redis going away degrades the tool instead of breaking it, and its return heals it.

Each test runs a Redis of its own on a free loopback port, so stopping it disturbs nobody.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import redis

from lti_tool.redis_health import guarded
from lti_tool.testing import app_in_context
from tests.services import throwaway_redis
from tests.standalone.journey import log_in
from tests.standalone.journey import log_out
from tests.standalone.journey import running_mail_server
from tests.standalone.journey import sign_up_and_verify


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
        assert log_in(app.test_client(), "owner@example.org").status_code == 302

        server.stop()
        assert server.is_down()
        assert log_in(app.test_client(), "owner@example.org").status_code == 302

        server.start()
        assert log_in(app.test_client(), "owner@example.org").status_code == 302
