"""The plugin's settings, read once when the application starts.

Each setting comes from its environment variable (``LTI_TOOL_STRIPE_SECRET_KEY``, ...) or, when
that is unset, from the same name without the ``LTI_TOOL_`` prefix in the tool's TOML file or
the mapping given to ``create_app`` (``stripe_secret_key = "..."``). The environment wins, as
it does for the core's own settings. Keys never live in the repository.

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

SECRET_KEY = "LTI_TOOL_STRIPE_SECRET_KEY"
WEBHOOK_SECRET = "LTI_TOOL_STRIPE_WEBHOOK_SECRET"
API_BASE = "LTI_TOOL_STRIPE_API_BASE"
CONNECT_WEBHOOK_SECRET = "LTI_TOOL_STRIPE_CONNECT_WEBHOOK_SECRET"
FEE_PERCENT = "LTI_TOOL_PLATFORM_FEE_PERCENT"
PROCESSING_PERCENT = "LTI_TOOL_STRIPE_FEE_PERCENT"
PROCESSING_FIXED = "LTI_TOOL_STRIPE_FEE_FIXED"
PAYMENT_METHODS = "LTI_TOOL_STRIPE_PAYMENT_METHODS"
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


def _raw(app: Flask, env_name: str) -> str:
    if env_name in os.environ:
        return os.environ[env_name].strip()
    value = app.config.get(env_name.removeprefix("LTI_TOOL_"))
    return "" if value is None else str(value).strip()


def _number(name: str, text: str, high: Decimal) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ConfigError(f"{name}: expected a number, got {text!r}") from None
    if not value.is_finite() or not 0 <= value <= high:
        raise ConfigError(f"{name}: expected 0 to {high}, got {text!r}")
    return value


def _methods(text: str) -> tuple[str, ...]:
    methods = tuple(dict.fromkeys(m.strip().lower() for m in text.split(",") if m.strip()))
    if not methods:
        raise ConfigError(f"{PAYMENT_METHODS}: name at least one payment method, such as card")
    for method in methods:
        if method in DELAYED_METHODS:
            raise ConfigError(
                f"{PAYMENT_METHODS}: {method} confirms days after the learner pays, longer "
                "than a booking is held; use methods that confirm at once, such as card"
            )
        if method not in IMMEDIATE_METHODS:
            raise ConfigError(
                f"{PAYMENT_METHODS}: {method!r} is not a payment method that confirms at once "
                f"(choose from {', '.join(sorted(IMMEDIATE_METHODS))})"
            )
    return methods


def read_settings(app: Flask) -> Settings | None:
    """The checked settings, or ``None`` when no secret key is set (the plugin is off).

    :raises ConfigError: naming the first setting that is missing or wrong.
    """
    secret_key = _raw(app, SECRET_KEY)
    if not secret_key:
        return None
    if not secret_key.startswith(("sk_", "rk_")):
        raise ConfigError(f"{SECRET_KEY}: expected a Stripe secret key (sk_... or rk_...)")
    webhook_secret = _raw(app, WEBHOOK_SECRET)
    if not webhook_secret:
        raise ConfigError(
            f"{WEBHOOK_SECRET} is required when {SECRET_KEY} is set: without it no payment "
            "could ever be confirmed (copy the endpoint's signing secret, whsec_..., from "
            "Stripe)"
        )
    if not webhook_secret.startswith("whsec_"):
        raise ConfigError(f"{WEBHOOK_SECRET}: expected a signing secret starting with whsec_")
    api_base = (_raw(app, API_BASE) or DEFAULT_API_BASE).rstrip("/")
    if not api_base.startswith(("https://", "http://")):
        raise ConfigError(f"{API_BASE}: expected an http(s) URL, got {api_base!r}")
    if app.config.get("MODE") == "production" and not api_base.startswith("https://"):
        raise ConfigError(f"{API_BASE}: production talks to Stripe over https only")
    hold = int(t.cast(int, app.config.get("HOLD_MINUTES", MIN_HOLD_MINUTES)))
    if not MIN_HOLD_MINUTES <= hold <= MAX_HOLD_MINUTES:
        raise ConfigError(
            f"{HOLD_MINUTES}: with Stripe payments a hold lasts as long as its Checkout "
            f"Session, which must be {MIN_HOLD_MINUTES} to {MAX_HOLD_MINUTES} minutes; "
            f"got {hold}"
        )
    connect_secret = _raw(app, CONNECT_WEBHOOK_SECRET)
    if connect_secret and not connect_secret.startswith("whsec_"):
        raise ConfigError(f"{CONNECT_WEBHOOK_SECRET}: expected a signing secret (whsec_...)")
    return Settings(
        secret_key=secret_key,
        webhook_secret=webhook_secret,
        api_base=api_base,
        platform_fee_percent=_number(FEE_PERCENT, _raw(app, FEE_PERCENT) or "0", Decimal(100)),
        processing_fee_percent=_number(
            PROCESSING_PERCENT,
            _raw(app, PROCESSING_PERCENT) or DEFAULT_PROCESSING_PERCENT,
            Decimal(50),
        ),
        processing_fee_fixed=_number(
            PROCESSING_FIXED,
            _raw(app, PROCESSING_FIXED) or DEFAULT_PROCESSING_FIXED,
            Decimal(1_000_000),
        ),
        payment_methods=_methods(_raw(app, PAYMENT_METHODS) or "card"),
        connect_webhook_secret=connect_secret,
    )
