"""The sign-in limit under load: atomic counting, no lockout of the owner, trusted proxies."""

from __future__ import annotations

import threading
import typing as t
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.config import ConfigError
from lti_tool.testing import app_in_context
from lti_tool.testing import make_test_app as make_app
from lti_tool_standalone import passwords
from lti_tool_standalone import throttle
from tests.live_server import live_server
from tests.standalone.conftest import Clock
from tests.standalone.journey import PASSWORD
from tests.standalone.journey import WRONG_PASSWORD
from tests.standalone.journey import MailServer
from tests.standalone.journey import attempt
from tests.standalone.journey import client_from
from tests.standalone.journey import log_in
from tests.standalone.journey import log_out
from tests.standalone.journey import sign_up_and_verify
from tests.standalone.journey import token_in

GUESSES = 40


def parallel_guesses(base_url: str, email: str) -> list[int]:
    """*GUESSES* wrong passwords for *email*, all released at the same moment."""
    start = threading.Barrier(GUESSES)
    statuses: list[int] = []
    lock = threading.Lock()

    def guess() -> None:
        with requests.Session() as browser:
            token = token_in(browser.get(f"{base_url}/login", timeout=30).text, "/login")
            start.wait(timeout=60)
            response = browser.post(
                f"{base_url}/login",
                data={"csrf_token": token, "email": email, "password": "guess"},
                allow_redirects=False,
                timeout=60,
            )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=guess) for _ in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_forty_parallel_guesses_evaluate_only_the_limit(app: Flask) -> None:
    with live_server(app) as url:
        statuses = parallel_guesses(url, "victim@example.org")
    assert len(statuses) == GUESSES
    assert statuses.count(200) == throttle.PAIR_LIMIT
    assert statuses.count(429) == GUESSES - throttle.PAIR_LIMIT


def test_forty_parallel_guesses_with_redis_evaluate_only_the_limit(redis_app: Flask) -> None:
    with live_server(redis_app) as url:
        statuses = parallel_guesses(url, "victim@example.org")
    assert statuses.count(200) == throttle.PAIR_LIMIT
    assert statuses.count(429) == GUESSES - throttle.PAIR_LIMIT


def test_the_owner_signs_in_from_a_fresh_address_while_the_account_is_hammered(
    client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up_and_verify(client, mail, "owner@example.org")
    log_out(client)
    refused: list[str | None] = []
    for host in range(1, 11):
        attacker = client_from(client.application, f"203.0.113.{host}")
        for _ in range(throttle.PAIR_LIMIT + 1):
            answer = log_in(attacker, "owner@example.org", WRONG_PASSWORD)
            if answer.status_code == 429:
                refused.append(answer.headers.get("Retry-After"))
    # Each address is stopped at its own limit; once the account is hot, sooner.
    assert len(refused) > 10
    assert all(value is not None and int(value) > 0 for value in refused)
    owner = client_from(client.application, "198.51.100.20")
    assert attempt(owner, "owner@example.org", PASSWORD) == 302


def test_a_hot_account_makes_an_address_that_failed_there_wait_longer(
    client: FlaskClient, clock: Clock
) -> None:
    for host in range(1, throttle.ACCOUNT_SLOWDOWN_AFTER + 1):
        assert (
            attempt(client_from(client.application, f"203.0.113.{host}"), "hot@example.org") == 200
        )
    repeat = client_from(client.application, "203.0.113.1")
    first = log_in(repeat, "hot@example.org", WRONG_PASSWORD)
    second = log_in(repeat, "hot@example.org", WRONG_PASSWORD)
    assert (first.status_code, first.headers.get("Retry-After")) == (429, "2")
    assert (second.status_code, second.headers.get("Retry-After")) == (429, "4")
    clock.advance(minutes=16)
    assert attempt(repeat, "hot@example.org") == 200


def test_forwarded_for_is_ignored_without_a_trusted_proxy(
    client: FlaskClient, clock: Clock
) -> None:
    statuses = [
        attempt(client, "target@example.org", **{"X-Forwarded-For": f"192.0.2.{n}"})
        for n in range(1, 8)
    ]
    assert statuses == [200] * throttle.PAIR_LIMIT + [429, 429]


@pytest.fixture
def proxied_app(sqlite_url: str) -> Iterator[Flask]:
    with app_in_context(sqlite_url, trusted_proxies=1) as app:
        yield app


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(proxied_app: Flask) -> None:
    client = proxied_app.test_client()
    for _ in range(throttle.PAIR_LIMIT):
        assert attempt(client, "t@example.org", **{"X-Forwarded-For": "192.0.2.1"}) == 200
    assert attempt(client, "t@example.org", **{"X-Forwarded-For": "192.0.2.1"}) == 429
    assert attempt(client, "t@example.org", **{"X-Forwarded-For": "192.0.2.2"}) == 200


def test_a_negative_proxy_count_is_refused(sqlite_url: str) -> None:
    with pytest.raises(ConfigError, match="trusted_proxies"):
        make_app(sqlite_url, trusted_proxies=-1)


def test_hashing_runs_through_the_dispatcher_in_threading_mode(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    real = passwords._direct

    def counted(work: t.Callable[[], object]) -> object:
        calls.append(work)
        return real(work)

    monkeypatch.setattr(passwords, "_direct", counted)
    assert attempt(client, "nobody@example.org") == 200
    assert len(calls) == 1


# Importing eventlet warns that it is deprecated; the server still runs on it.
@pytest.mark.filterwarnings(r"ignore:\s*Eventlet is deprecated")
def test_the_dispatcher_picks_the_thread_pool_the_server_patched() -> None:
    from eventlet import tpool

    assert passwords.runner_for("eventlet", True, False) is tpool.execute
    assert passwords.runner_for("eventlet", True, False)(lambda: 42) == 42
    assert passwords.runner_for("eventlet", False, False) is passwords._direct
    assert passwords.runner_for("threading", True, True) is passwords._direct
    assert passwords.runner_for("gevent", False, True) is not passwords._direct
