"""The plugin's settings, read once when the application starts.

They live in a ``[plugins.payment]`` table of the tool's TOML file (or the ``plugins`` mapping
given to ``create_app``), and each key may be set as ``LTI_TOOL_PAYMENT_<KEY>`` in the
environment, which wins over the table, as it does for the core's settings: ``stripe_secret_key``
is ``LTI_TOOL_PAYMENT_STRIPE_SECRET_KEY``. Keys never live in the repository.

Before the table existed the same keys were read from the top level of the configuration
(``stripe_secret_key = "..."``) and from ``LTI_TOOL_<KEY>`` (``LTI_TOOL_STRIPE_SECRET_KEY``),
the environment winning there too. Those still work, so no deployment stops on upgrade, but a
key set in the table or as ``LTI_TOOL_PAYMENT_<KEY>`` wins over both. Every message names the
setting as it was given, so the operator finds the line to change.

The plugin is on when a secret key is set. Off, it answers no hook and the core's free default
confirms every booking.
"""

from __future__ import annotations

import os
import typing as t
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation

from flask import Flask

from lti_tool.api import ConfigError
from lti_tool.api import plugin_settings

PLUGIN = "payment"
#: The plugin's keys: in ``[plugins.payment]``, and under the same names in the flat form.
KEYS = (
    "stripe_secret_key",
    "stripe_webhook_secret",
    "stripe_api_base",
    "stripe_connect_webhook_secret",
    "platform_fee_percent",
    "stripe_fee_percent",
    "stripe_fee_fixed",
    "stripe_payment_methods",
)
_NUMBERS = frozenset({"platform_fee_percent", "stripe_fee_percent", "stripe_fee_fixed"})
#: What ``plugin_settings`` reads from the environment for this plugin.
ENV_PREFIX = f"LTI_TOOL_{PLUGIN.upper()}_"
#: A core setting (``hold_minutes``), which the plugin only checks against Stripe's limits.
HOLD_MINUTES = "LTI_TOOL_HOLD_MINUTES"

DEFAULT_API_BASE = "https://api.stripe.com"
#: Stripe Checkout accepts an ``expires_at`` from 30 minutes to 24 hours after creation.
MIN_HOLD_MINUTES = 30
MAX_HOLD_MINUTES = 24 * 60 - 2
#: Stripe's standard price for a domestic card in the United States; set your account's own.
DEFAULT_PROCESSING_PERCENT = "2.9"
DEFAULT_PROCESSING_FIXED = "0.30"
#: Methods whose success Stripe reports while the learner is still on its page. A method that
#: settles days later (bank debits, vouchers) would outlive any hold, so it is refused.
IMMEDIATE_METHODS = frozenset(
    "card link alipay amazon_pay bancontact blik eps ideal kakao_pay kr_card mobilepay "
    "naver_pay p24 payco paypal revolut_pay samsung_pay twint wechat_pay cashapp".split()
)
DELAYED_METHODS = frozenset(
    "acss_debit au_becs_debit bacs_debit boleto customer_balance konbini multibanco oxxo "
    "pay_by_bank sepa_debit sofort us_bank_account".split()
)


def env_name(key: str) -> str:
    """The environment variable of *key*: ``LTI_TOOL_PAYMENT_STRIPE_SECRET_KEY``."""
    return ENV_PREFIX + key.upper()


def flat_env_name(key: str) -> str:
    """The environment variable of *key* in the flat form: ``LTI_TOOL_STRIPE_SECRET_KEY``."""
    return f"LTI_TOOL_{key.upper()}"


@dataclass(frozen=True)
class Settings:
    secret_key: str
    webhook_secret: str
    api_base: str
    platform_fee_percent: Decimal
    """Share of each paid session kept by the platform when the tutor is paid out through
    Connect; 0 to 100."""
    processing_fee_percent: Decimal
    processing_fee_fixed: Decimal
    """What Stripe takes per payment, in percent of the price plus a fixed amount in currency
    units; the tutor's share covers it (docs/payments.md, "Fees")."""
    payment_methods: tuple[str, ...]
    connect_webhook_secret: str = ""
    """The signing secret of the Connect endpoint (account events), when it has its own."""


def _table_text(key: str, value: t.Any, where: str) -> str:
    """A value of the table as the text the environment would give, which the checks read."""
    if isinstance(value, str):
        return value.strip()
    if key in _NUMBERS:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if key == "stripe_payment_methods":
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return ",".join(value)
        raise ConfigError(f"{where}: expected a list of payment methods, got {value!r}")
    raise ConfigError(f"{where}: expected text, got {value!r}")


class _Given:
    """The settings that are set, each with the name it was given by.

    The table (``LTI_TOOL_PAYMENT_<KEY>`` on top) wins; a key it leaves out is read from the
    flat form, ``LTI_TOOL_<KEY>`` and then the top-level key.
    """

    def __init__(self, app: Flask) -> None:
        self.values: dict[str, tuple[str, str]] = {}
        for key, value in plugin_settings(app, PLUGIN).items():
            where = env_name(key) if env_name(key) in os.environ else f"plugins.{PLUGIN}.{key}"
            if key not in KEYS:
                raise ConfigError(
                    f"{where}: not a setting of the payment plugin (its settings: "
                    f"{', '.join(KEYS)})"
                )
            self.values[key] = (_table_text(key, value, where), where)
        for key in KEYS:
            if key in self.values:
                continue
            if flat_env_name(key) in os.environ:
                self.values[key] = (os.environ[flat_env_name(key)].strip(), flat_env_name(key))
            elif (value := app.config.get(key.upper())) is not None:
                self.values[key] = (str(value).strip(), key)

    def text(self, key: str) -> str:
        return self.values[key][0] if key in self.values else ""

    def where(self, key: str) -> str:
        """How *key* was given; for a key not given, its name in the form the secret key was
        given in, which is where the operator will add it."""
        if key in self.values:
            return self.values[key][1]
        secret = self.values.get("stripe_secret_key", ("", ""))[1]
        if secret == flat_env_name("stripe_secret_key"):
            return flat_env_name(key)
        if secret == env_name("stripe_secret_key"):
            return env_name(key)
        if secret == "stripe_secret_key":
            return key
        return f"plugins.{PLUGIN}.{key}"


def _number(name: str, text: str, high: Decimal) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ConfigError(f"{name}: expected a number, got {text!r}") from None
    if not value.is_finite() or not 0 <= value <= high:
        raise ConfigError(f"{name}: expected 0 to {high}, got {text!r}")
    return value


def _methods(where: str, text: str) -> tuple[str, ...]:
    methods = tuple(dict.fromkeys(m.strip().lower() for m in text.split(",") if m.strip()))
    if not methods:
        raise ConfigError(f"{where}: name at least one payment method, such as card")
    for method in methods:
        if method in DELAYED_METHODS:
            raise ConfigError(
                f"{where}: {method} confirms days after the learner pays, longer "
                "than a booking is held; use methods that confirm at once, such as card"
            )
        if method not in IMMEDIATE_METHODS:
            raise ConfigError(
                f"{where}: {method!r} is not a payment method that confirms at once "
                f"(choose from {', '.join(sorted(IMMEDIATE_METHODS))})"
            )
    return methods


def read_settings(app: Flask) -> Settings | None:
    """The checked settings, or ``None`` when no secret key is set (the plugin is off).

    :raises ConfigError: naming the first setting that is missing or wrong, as it was given.
    """
    given = _Given(app)
    secret_key = given.text("stripe_secret_key")
    if not secret_key:
        return None
    if not secret_key.startswith(("sk_", "rk_")):
        raise ConfigError(
            f"{given.where('stripe_secret_key')}: expected a Stripe secret key (sk_... or rk_...)"
        )
    webhook_secret = given.text("stripe_webhook_secret")
    if not webhook_secret:
        raise ConfigError(
            f"{given.where('stripe_webhook_secret')} is required when "
            f"{given.where('stripe_secret_key')} is set: without it no payment could ever be "
            "confirmed (copy the endpoint's signing secret, whsec_..., from Stripe)"
        )
    if not webhook_secret.startswith("whsec_"):
        raise ConfigError(
            f"{given.where('stripe_webhook_secret')}: expected a signing secret starting with "
            "whsec_"
        )
    api_base = (given.text("stripe_api_base") or DEFAULT_API_BASE).rstrip("/")
    if not api_base.startswith(("https://", "http://")):
        raise ConfigError(
            f"{given.where('stripe_api_base')}: expected an http(s) URL, got {api_base!r}"
        )
    if app.config.get("MODE") == "production" and not api_base.startswith("https://"):
        raise ConfigError(
            f"{given.where('stripe_api_base')}: production talks to Stripe over https only"
        )
    hold = int(t.cast(int, app.config.get("HOLD_MINUTES", MIN_HOLD_MINUTES)))
    if not MIN_HOLD_MINUTES <= hold <= MAX_HOLD_MINUTES:
        # The core keeps no record of where it read the value: its environment variable when
        # that holds it, else the file or create_app's mapping.
        from_env = os.environ.get(HOLD_MINUTES, "").strip() == str(hold)
        raise ConfigError(
            f"{HOLD_MINUTES if from_env else 'hold_minutes'}: with Stripe payments a hold lasts "
            f"as long as its Checkout Session, which must be {MIN_HOLD_MINUTES} to "
            f"{MAX_HOLD_MINUTES} minutes; got {hold}"
        )
    connect_secret = given.text("stripe_connect_webhook_secret")
    if connect_secret and not connect_secret.startswith("whsec_"):
        raise ConfigError(
            f"{given.where('stripe_connect_webhook_secret')}: expected a signing secret (whsec_...)"
        )

    def number(key: str, default: str, high: int) -> Decimal:
        return _number(given.where(key), given.text(key) or default, Decimal(high))

    return Settings(
        secret_key=secret_key,
        webhook_secret=webhook_secret,
        api_base=api_base,
        platform_fee_percent=number("platform_fee_percent", "0", 100),
        processing_fee_percent=number("stripe_fee_percent", DEFAULT_PROCESSING_PERCENT, 50),
        processing_fee_fixed=number("stripe_fee_fixed", DEFAULT_PROCESSING_FIXED, 1_000_000),
        payment_methods=_methods(
            given.where("stripe_payment_methods"), given.text("stripe_payment_methods") or "card"
        ),
        connect_webhook_secret=connect_secret,
    )
