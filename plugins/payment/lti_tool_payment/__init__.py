"""Stripe payments for lti-tool: Checkout for paid bookings, signed webhooks that confirm them,
refunds on cancellation, Connect Express payouts to tutors, and a report of institution-paid
sessions.

The plugin is on when ``LTI_TOOL_STRIPE_SECRET_KEY`` is set (see ``settings.py``); off, it
answers no hook and bookings stay free.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable

import click
from flask import Blueprint

from lti_tool import hookimpl
from lti_tool.models import Booking
from lti_tool_payment import ledger
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
def booking_event(event: str, booking: Booking, detail: dict[str, t.Any]) -> None:
    """On cancellation, give the money back when the booking service decided so, and close a
    checkout that is still open so a released slot cannot be paid for."""
    if event != "cancelled":
        return
    state = plugin_state()
    if state is None:
        return
    provider = StripeProvider(state)
    provider.expire_checkout(booking)
    if detail.get("refund") != "full":
        return
    payment = ledger.latest_payment(booking, ledger.HOLDING_MONEY)
    if payment is None:
        return
    who = detail.get("cancelled_by") or "someone"
    reason = f"cancelled by the {who}: {detail.get('reason') or 'no reason given'}"
    provider.refund(booking, payment.amount_cents - payment.refunded_cents, reason)


@hookimpl
def register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(bp)


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(payments_group)
