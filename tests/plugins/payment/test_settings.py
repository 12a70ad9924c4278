"""Where the plugin's settings come from: the ``[plugins.payment]`` table with
``LTI_TOOL_PAYMENT_<KEY>`` on top, and the flat form it replaces (``LTI_TOOL_<KEY>``, then the
top-level key), which keeps working but gives way to the table."""

from __future__ import annotations

import typing as t
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from lti_tool_payment import StripeProvider
from lti_tool_payment.settings import Settings

from lti_tool.config import ConfigError
from lti_tool.plugins import pm
from lti_tool.testing import make_test_app as make_app

from .conftest import SECRET_KEY
from .conftest import WEBHOOK_SECRET

OTHER_KEY = "sk_test_another_account"


def settings_of(app: Flask) -> Settings:
    with app.app_context():
        provider = pm.hook.payment_provider()
    assert isinstance(provider, StripeProvider)
    return provider.settings


def table(**values: t.Any) -> dict[str, t.Any]:
    return {"plugins": {"payment": values}}


def test_the_table_in_the_tools_file(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "tool.toml"
    config.write_text(
        "[plugins.payment]\n"
        f'stripe_secret_key = "{SECRET_KEY}"\n'
        f'stripe_webhook_secret = "{WEBHOOK_SECRET}"\n'
        'stripe_connect_webhook_secret = "whsec_connect"\n'
        'stripe_api_base = "https://stripe.example/"\n'
        "platform_fee_percent = 7.5\n"
        "stripe_fee_percent = 1.4\n"
        "stripe_fee_fixed = 0\n"
        'stripe_payment_methods = ["card", "link"]\n'
    )
    monkeypatch.setenv("LTI_TOOL_CONFIG", str(config))

    settings = settings_of(make_app(sqlite_url))

    assert settings == Settings(
        secret_key=SECRET_KEY,
        webhook_secret=WEBHOOK_SECRET,
        api_base="https://stripe.example",
        platform_fee_percent=Decimal("7.5"),
        processing_fee_percent=Decimal("1.4"),
        processing_fee_fixed=Decimal("0"),
        payment_methods=("card", "link"),
        connect_webhook_secret="whsec_connect",
    )


@pytest.mark.parametrize("prefix", ["LTI_TOOL_PAYMENT_", "LTI_TOOL_"])
def test_the_environment_alone_in_either_form(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    monkeypatch.setenv(f"{prefix}STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv(f"{prefix}STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv(f"{prefix}PLATFORM_FEE_PERCENT", "12.5")
    monkeypatch.setenv(f"{prefix}STRIPE_FEE_FIXED", "0.25")
    monkeypatch.setenv(f"{prefix}STRIPE_PAYMENT_METHODS", "card, paypal")

    settings = settings_of(make_app(sqlite_url))

    assert (settings.secret_key, settings.webhook_secret) == (SECRET_KEY, WEBHOOK_SECRET)
    assert settings.platform_fee_percent == Decimal("12.5")
    assert settings.processing_fee_fixed == Decimal("0.25")
    assert settings.payment_methods == ("card", "paypal")


def test_the_flat_top_level_keys_still_work(sqlite_url: str) -> None:
    app = make_app(
        sqlite_url,
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_payment_methods="link",
    )

    settings = settings_of(app)

    assert (settings.secret_key, settings.payment_methods) == (SECRET_KEY, ("link",))


def test_the_table_wins_over_the_flat_form(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LTI_TOOL_STRIPE_SECRET_KEY", OTHER_KEY)
    monkeypatch.setenv("LTI_TOOL_PLATFORM_FEE_PERCENT", "20")
    app = make_app(
        sqlite_url,
        stripe_webhook_secret="whsec_top_level",
        stripe_fee_percent="3.5",
        **table(
            stripe_secret_key=SECRET_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            platform_fee_percent="10",
        ),
    )

    settings = settings_of(app)

    assert settings.secret_key == SECRET_KEY  # over LTI_TOOL_STRIPE_SECRET_KEY
    assert settings.webhook_secret == WEBHOOK_SECRET  # over the top-level key
    assert settings.platform_fee_percent == Decimal("10")
    # What the table leaves out still comes from the flat form.
    assert settings.processing_fee_percent == Decimal("3.5")


def test_the_plugins_environment_wins_over_its_table_and_the_flat_form(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LTI_TOOL_PAYMENT_STRIPE_SECRET_KEY", OTHER_KEY)
    monkeypatch.setenv("LTI_TOOL_PAYMENT_PLATFORM_FEE_PERCENT", "15")
    monkeypatch.setenv("LTI_TOOL_PLATFORM_FEE_PERCENT", "20")
    app = make_app(
        sqlite_url,
        **table(
            stripe_secret_key=SECRET_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            platform_fee_percent="10",
        ),
    )

    settings = settings_of(app)

    assert settings.secret_key == OTHER_KEY
    assert settings.platform_fee_percent == Decimal("15")


def test_an_empty_secret_key_in_the_table_switches_the_flat_one_off(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The table's value wins even when it is empty, so an operator can turn payments off
    # without finding every older setting.
    monkeypatch.setenv("LTI_TOOL_STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("LTI_TOOL_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    app = make_app(sqlite_url, **table(stripe_secret_key=""))

    with app.app_context():
        assert pm.hook.payment_provider().name == "none"


@pytest.mark.parametrize(
    ("config", "environ", "message"),
    [
        (
            table(stripe_secret_key=SECRET_KEY),
            {},
            "plugins.payment.stripe_webhook_secret is required when "
            "plugins.payment.stripe_secret_key is set",
        ),
        (
            {"stripe_secret_key": SECRET_KEY},
            {},
            "stripe_webhook_secret is required when stripe_secret_key is set",
        ),
        (
            table(stripe_webhook_secret=WEBHOOK_SECRET),
            {"LTI_TOOL_STRIPE_SECRET_KEY": "pk_live_publishable"},
            "LTI_TOOL_STRIPE_SECRET_KEY: expected a Stripe secret key",
        ),
        (
            table(stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET),
            {"LTI_TOOL_PAYMENT_STRIPE_FEE_FIXED": "lots"},
            "LTI_TOOL_PAYMENT_STRIPE_FEE_FIXED: expected a number, got 'lots'",
        ),
        (
            table(stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET, fee=5),
            {},
            "plugins.payment.fee: not a setting of the payment plugin",
        ),
        (
            table(stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET),
            {"LTI_TOOL_PAYMENT_HOLD_MINUTES": "45"},
            "LTI_TOOL_PAYMENT_HOLD_MINUTES: not a setting of the payment plugin",
        ),
        (
            table(stripe_secret_key=5),
            {},
            "plugins.payment.stripe_secret_key: expected text, got 5",
        ),
        (
            table(
                stripe_secret_key=SECRET_KEY,
                stripe_webhook_secret=WEBHOOK_SECRET,
                platform_fee_percent=True,
            ),
            {},
            "plugins.payment.platform_fee_percent: expected a number, got True",
        ),
        (
            table(
                stripe_secret_key=SECRET_KEY,
                stripe_webhook_secret=WEBHOOK_SECRET,
                stripe_payment_methods=["card", 3],
            ),
            {},
            "plugins.payment.stripe_payment_methods: expected a list of payment methods",
        ),
        ({"plugins": {"payment": "on"}}, {}, "plugins.payment: expected a table of settings"),
    ],
)
def test_a_wrong_or_missing_setting_is_named_as_it_was_given(
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    config: dict[str, t.Any],
    environ: dict[str, str],
    message: str,
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError) as raised:
        make_app(sqlite_url, **config)

    assert str(raised.value).startswith(message), str(raised.value)
