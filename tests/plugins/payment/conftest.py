"""An application with the payment plugin switched on and talking to a fake Stripe.

The fake shares the application's clock, which the tests move, for the checks Stripe makes
against its own; webhook signatures carry real time, as the tool checks them against it.
"""

from __future__ import annotations

import os
import typing as t
from collections.abc import Iterator

import pytest
from flask import Flask
from lti_tool_payment import settings

from lti_tool.testing import app_in_context
from tests.booking import NOW
from tests.booking import FakeClock

from .fake_stripe import FakeStripe

SECRET_KEY = "sk_test_payment_plugin_tests"
WEBHOOK_SECRET = "whsec_payment_plugin_tests_0123456789"


def stripe_settings(fake: FakeStripe, **changes: str) -> dict[str, t.Any]:
    """``create_app`` settings that switch the plugin on, as a ``[plugins.payment]`` table."""
    table = {
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": fake.url,
        "platform_fee_percent": "10",
        **changes,
    }
    return {"plugins": {"payment": table}}


@pytest.fixture(autouse=True)
def _no_stripe_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine's own Stripe settings must not leak into the tests."""
    for name in list(os.environ):
        if name.startswith(settings.ENV_PREFIX):
            monkeypatch.delenv(name)
    for key in settings.KEYS:
        monkeypatch.delenv(settings.flat_env_name(key), raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeStripe]:
    stripe_fake = FakeStripe(WEBHOOK_SECRET, clock=lambda: clock().timestamp())
    with stripe_fake.serve():
        yield stripe_fake


@pytest.fixture
def app(database_url: str, fake: FakeStripe, clock: FakeClock) -> Iterator[Flask]:
    with app_in_context(database_url, **stripe_settings(fake)) as app:
        app.config["CLOCK"] = clock
        yield app
