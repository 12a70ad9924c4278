from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from flask import Flask

from lti_tool.testing import app_in_context
from lti_tool_standalone import passwords
from tests import services
from tests.standalone.journey import MailServer
from tests.standalone.journey import running_mail_server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "real_password_cost: hash passwords with the production Argon2 parameters"
    )


@pytest.fixture(autouse=True)
def cheap_password_hashing(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Argon2 at its production cost takes a fifth of a second here; most tests need not wait."""
    if request.node.get_closest_marker("real_password_cost") is None:
        cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        monkeypatch.setattr(passwords, "_hasher", cheap)
    passwords._dummy_hash.cache_clear()
    yield
    passwords._dummy_hash.cache_clear()


class Clock:
    """The application's clock, moved by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def app(database_url: str, mail: MailServer) -> Iterator[Flask]:
    """The site, sending its e-mail to the test's SMTP server."""
    with app_in_context(database_url, **mail.settings()) as app:
        yield app


@pytest.fixture
def redis_app(sqlite_url: str, mail: MailServer) -> Iterator[Flask]:
    """The site with Redis configured, as production runs it."""
    # A secret of its own keeps this run's keys apart from anything else in the shared Redis.
    overrides = {"redis_url": services.redis_url(), "secret_key": uuid.uuid4().hex}
    with app_in_context(sqlite_url, **overrides, **mail.settings()) as app:
        yield app


@pytest.fixture
def clock(app: Flask) -> Clock:
    clock = Clock(dt.datetime(2030, 1, 7, 12, 0, tzinfo=dt.UTC))  # a Monday
    app.config["CLOCK"] = clock
    return clock
