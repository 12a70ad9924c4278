"""What the plugin keeps per application: its checked settings and a Stripe client.

A client per application, rather than stripe-python's module-level ``api_key`` and
``api_base``, keeps two applications in one process (tests, or a tool serving two sites)
from talking to each other's Stripe account.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from flask import Flask
from flask import current_app
from flask import has_app_context

from lti_tool_payment.settings import Settings
from lti_tool_payment.settings import read_settings

EXTENSION = "lti_tool_payment"
#: Retries are safe: every request that creates something carries an idempotency key.
NETWORK_RETRIES = 2


@dataclass(frozen=True)
class PluginState:
    settings: Settings
    client: stripe.StripeClient


def make_client(settings: Settings) -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.secret_key,
        base_addresses={"api": settings.api_base, "connect": settings.api_base},
        max_network_retries=NETWORK_RETRIES,
    )


def configure(app: Flask) -> None:
    """Read and check the settings while the application is built.

    :raises lti_tool.config.ConfigError: a setting is missing or wrong, so start-up stops.
    """
    settings = read_settings(app)
    app.extensions[EXTENSION] = (
        None if settings is None else PluginState(settings, make_client(settings))
    )


def plugin_state() -> PluginState | None:
    """The current application's state; ``None`` when the plugin is off or outside an app."""
    if not has_app_context():
        return None
    state = current_app.extensions.get(EXTENSION)
    return state if isinstance(state, PluginState) else None
