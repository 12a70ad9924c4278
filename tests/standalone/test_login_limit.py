"""The login rate limit: per account and per client address, shared by every process."""

from __future__ import annotations

import uuid

import redis
from flask import Flask
from flask.testing import FlaskClient

from lti_tool import rate_limits
from lti_tool.models import RateCount
from lti_tool.models import db
from lti_tool.testing import make_test_app as make_app
from lti_tool_standalone import throttle
from tests.standalone.conftest import Clock
from tests.standalone.journey import PASSWORD
from tests.standalone.journey import MailServer
from tests.standalone.journey import attempt
from tests.standalone.journey import client_from
from tests.standalone.journey import csrf_token
from tests.standalone.journey import log_out
from tests.standalone.journey import sign_up_and_verify


def test_five_failures_stop_that_address_at_that_account_for_fifteen_minutes(
    client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up_and_verify(client, mail, "target@example.org")
    log_out(client)
    assert [attempt(client, "target@example.org") for _ in range(5)] == [200] * 5
    locked = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client),
            "email": "target@example.org",
            "password": PASSWORD,
        },
    )
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "900"
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    # Another account from the same address is not held up by this one.
    assert attempt(client, "someone-else@example.org") == 200

    clock.advance(minutes=15, seconds=1)
    assert attempt(client, "target@example.org", PASSWORD) == 302


def test_unknown_addresses_are_limited_like_known_ones(client: FlaskClient, clock: Clock) -> None:
    assert [attempt(client, "ghost@example.org") for _ in range(6)] == [200] * 5 + [429]


def test_a_successful_login_clears_the_account_count(
    client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up_and_verify(client, mail, "clumsy@example.org")
    log_out(client)
    for _ in range(4):
        assert attempt(client, "clumsy@example.org") == 200
    assert attempt(client, "clumsy@example.org", PASSWORD) == 302
    log_out(client)
    assert [attempt(client, "clumsy@example.org") for _ in range(5)] == [200] * 5
    assert attempt(client, "clumsy@example.org") == 429


def test_one_address_trying_many_accounts_is_limited(client: FlaskClient, clock: Clock) -> None:
    spray = [attempt(client, f"user{i}@example.org") for i in range(throttle.ADDRESS_LIMIT + 1)]
    assert spray == [200] * throttle.ADDRESS_LIMIT + [429]
    elsewhere = client_from(client.application, "192.0.2.7")
    assert attempt(elsewhere, "user0@example.org") == 200


def test_the_count_is_shared_between_processes(app: Flask, database_url: str, clock: Clock) -> None:
    other = make_app(database_url)
    other.config["CLOCK"] = clock
    with app.test_client() as first:
        for _ in range(3):
            assert attempt(first, "shared@example.org") == 200
    with other.app_context(), other.test_client() as second:
        for _ in range(2):
            assert attempt(second, "shared@example.org") == 200
        assert attempt(second, "shared@example.org") == 429
        db.session.remove()
        db.engine.dispose()
    stored = db.session.scalars(db.select(RateCount.key_digest)).all()
    assert stored and all("shared" not in digest for digest in stored)


def test_with_redis_configured_the_count_lives_in_redis(redis_app: Flask) -> None:
    clock = Clock(throttle.current_time())
    redis_app.config["CLOCK"] = clock
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    email = f"redis-{uuid.uuid4().hex[:8]}@example.org"
    client = client_from(redis_app, address)
    keys = [key for key in throttle.login_keys(email, address) if key is not None]
    server = redis.Redis.from_url(redis_app.config["REDIS_URL"])
    try:
        assert [attempt(client, email) for _ in range(6)] == [200] * 5 + [429]
        # The refused try is counted too: every try is counted before it is judged.
        assert server.zcard(rate_limits.REDIS_PREFIX + keys[0].digest) == 6
        assert db.session.scalar(db.select(db.func.count(RateCount.id))) == 0
        clock.advance(minutes=16)
        assert attempt(client, email) == 200
    finally:
        server.delete(*(rate_limits.REDIS_PREFIX + key.digest for key in keys))
        server.close()
