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

from lti_tool.config import ConfigError

SECRET_KEY = "LTI_TOOL_STRIPE_SECRET_KEY"
WEBHOOK_SECRET = "LTI_TOOL_STRIPE_WEBHOOK_SECRET"
API_BASE = "LTI_TOOL_STRIPE_API_BASE"
FEE_PERCENT = "LTI_TOOL_PLATFORM_FEE_PERCENT"
HOLD_MINUTES = "LTI_TOOL_HOLD_MINUTES"

DEFAULT_API_BASE = "https://api.stripe.com"
#: Stripe Checkout accepts an ``expires_at`` from 30 minutes to 24 hours after creation.
MIN_HOLD_MINUTES = 30
MAX_HOLD_MINUTES = 24 * 60 - 2


@dataclass(frozen=True)
class Settings:
    secret_key: str
    webhook_secret: str
    api_base: str
    platform_fee_percent: Decimal
    """Share of each paid session kept by the platform when the tutor is paid out through
    Connect; 0 to 100."""


def _raw(app: Flask, env_name: str) -> str:
    if env_name in os.environ:
        return os.environ[env_name].strip()
    value = app.config.get(env_name.removeprefix("LTI_TOOL_"))
    return "" if value is None else str(value).strip()


def _fee(text: str) -> Decimal:
    try:
        percent = Decimal(text or "0")
    except InvalidOperation:
        raise ConfigError(f"{FEE_PERCENT}: expected a number of percent, got {text!r}") from None
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise ConfigError(f"{FEE_PERCENT}: expected 0 to 100 percent, got {text!r}")
    return percent


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
    return Settings(
        secret_key=secret_key,
        webhook_secret=webhook_secret,
        api_base=api_base,
        platform_fee_percent=_fee(_raw(app, FEE_PERCENT)),
    )
