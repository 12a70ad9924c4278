"""The payment plugin's background jobs: what a booking's cancellation or move asks of Stripe.

Each is asked for in the transaction that changes the booking (``booking_jobs``) and run by a
worker, tried again while Stripe cannot be reached. Stripe's idempotency keys make a request
that is sent twice take effect once.
"""

from __future__ import annotations

import typing as t

import stripe

from lti_tool.api import Booking
from lti_tool.api import JobRefused
from lti_tool.api import db
from lti_tool.api import job
from lti_tool_payment import ledger
from lti_tool_payment.provider import StripeProvider
from lti_tool_payment.state import plugin_state


def ask_for_jobs(
    event: str, booking: Booking, detail: dict[str, t.Any], enqueue: t.Callable[..., int | None]
) -> None:
    if plugin_state() is None:
        return
    if event == "rescheduled" and "price_cents" in detail:
        # The service names the prices only when the move changed the price.
        enqueue(
            "payment.retire_checkout",
            key=f"payment:retire:{booking.id}:{booking.sequence}",
            booking_id=booking.id,
        )
    elif event == "cancelled":
        enqueue("payment.close_checkout", key=f"payment:close:{booking.id}", booking_id=booking.id)
        if detail.get("refund") == "full":
            who = detail.get("cancelled_by") or "someone"
            enqueue(
                "payment.refund",
                key=f"payment:refund:{booking.id}",
                booking_id=booking.id,
                reason=f"cancelled by the {who}: {detail.get('reason') or 'no reason given'}",
            )


def _provider_and_booking(booking_id: int) -> tuple[StripeProvider, Booking]:
    state = plugin_state()
    if state is None:
        raise JobRefused("payments are off (no stripe_secret_key)")
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise JobRefused(f"booking {booking_id} no longer exists")
    return StripeProvider(state), booking


@job("payment.refund", max_attempts=12)
def refund(booking_id: int, reason: str) -> None:
    """Give a cancelled booking's money back in full."""
    provider, booking = _provider_and_booking(booking_id)
    try:
        provider.refund_in_full(booking, reason)
    except stripe.InvalidRequestError as exc:
        # Stripe said no (the charge was disputed, say): the refund is marked failed, where the
        # admin page and `lti-tool payments retry-refunds` take it up; asking again is no use.
        raise JobRefused(f"Stripe refused the refund: {exc.user_message or exc}") from exc


@job("payment.close_checkout")
def close_checkout(booking_id: int) -> None:
    """End the open checkout of a cancelled hold, so the released slot cannot be paid for."""
    provider, booking = _provider_and_booking(booking_id)
    provider.expire_checkout(booking)


@job("payment.retire_checkout")
def retire_checkout(booking_id: int) -> None:
    """A held booking's price changed: its checkout at the old price is retired."""
    provider, booking = _provider_and_booking(booking_id)
    for payment in ledger.payments_of(booking, [ledger.PENDING]):
        provider.supersede(payment)
