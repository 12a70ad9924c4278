"""Stripe payments for lti-tool: Checkout for paid bookings, signed webhooks that confirm them,
refunds on cancellation, Connect Express payouts to tutors, and a report of institution-paid
sessions.

The plugin is on when ``stripe_secret_key`` is set in ``[plugins.payment]`` (or
``LTI_TOOL_PAYMENT_STRIPE_SECRET_KEY``; see ``settings.py``); off, it answers no hook and
bookings stay free.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable
from pathlib import Path

import click
from flask import Blueprint

from lti_tool import hookimpl
from lti_tool.api import Booking
from lti_tool_payment import jobs
from lti_tool_payment import models  # noqa: F401  (its tables join the schema on load)
from lti_tool_payment.provider import StripeProvider
from lti_tool_payment.report import payments_group
from lti_tool_payment.state import plugin_state
from lti_tool_payment.views import bp

__all__ = ["StripeProvider"]


@hookimpl
def payment_provider() -> StripeProvider | None:
    state = plugin_state()
    return None if state is None else StripeProvider(state)


@hookimpl
def booking_jobs(
    event: str, booking: Booking, detail: dict[str, t.Any], enqueue: t.Callable[..., int | None]
) -> None:
    """On cancellation, close a checkout that is still open so a released slot cannot be paid
    for, and give the money back when the booking service decided so. When a held booking's
    price changes, its checkout at the old price is retired; the learner pays the new price
    at a new one. Each is a job (``jobs.py``), retried while Stripe cannot be reached."""
    jobs.ask_for_jobs(event, booking, detail, enqueue)


@hookimpl
def migration_directory() -> Path:
    return Path(__file__).with_name("migrations")


@hookimpl
def register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(bp)


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(payments_group)
