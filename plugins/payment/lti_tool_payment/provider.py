"""Collecting money for bookings with Stripe Checkout, and giving it back.

A paid booking is held while the learner pays on Stripe's hosted page. The Checkout Session
expires when the hold does, so Stripe never takes money for a slot the tool has already given
away. Only the signed ``checkout.session.completed`` webhook confirms the booking
(``webhooks.py``); returning to the success URL proves nothing.

When the tutor has a Connect account, the charge is a destination charge: the money goes to
the tutor, less the platform fee, and a refund pulls it back from them.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import typing as t
from decimal import ROUND_HALF_UP
from decimal import Decimal

import stripe

from lti_tool.booking import current_time
from lti_tool.database import write_transaction
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Payment
from lti_tool.models import TutorProfile
from lti_tool.models import db
from lti_tool.payments import CheckoutStart
from lti_tool_payment import connect
from lti_tool_payment import ledger
from lti_tool_payment.state import PluginState

log = logging.getLogger(__name__)

#: Added to the hold when the session is created: Stripe counts its 30-minute minimum from
#: the moment the request reaches it, a little after the hold began.
EXPIRY_MARGIN = dt.timedelta(seconds=60)


class StripeProvider:
    """The :class:`lti_tool.payments.PaymentProvider` backed by Stripe."""

    name = ledger.PROVIDER

    def __init__(self, state: PluginState) -> None:
        self.settings = state.settings
        self.client = state.client

    def requires_payment(self, booking: Booking) -> bool:
        if booking.price_cents <= 0:
            return False
        course = booking.course
        if course is None:
            return True
        deployment = course.deployment
        return not (course.institution_paid or (deployment and deployment.institution_paid))

    def platform_fee(self, booking: Booking) -> int:
        """The platform's share, in cents; none when there is no tutor account to pay."""
        if not booking.tutor.payout_account_id:
            return 0
        share = Decimal(booking.price_cents) * self.settings.platform_fee_percent / 100
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def start_checkout(self, booking: Booking, return_url: str) -> CheckoutStart:
        """Create the Checkout Session for a held booking and remember it as a pending payment.

        Asking twice for one booking gives the same session: the pending payment is reused,
        and the idempotency key makes Stripe answer a repeated request with the first session.

        :raises stripe.StripeError: Stripe refused or could not be reached.
        """
        existing = ledger.latest_payment(booking, [ledger.PENDING])
        if existing is not None and existing.checkout_url:
            return CheckoutStart(redirect_url=existing.checkout_url)
        hold_end = booking.hold_expires_at or current_time()
        # Derived from the hold, not from "now", so a retried request carries the same
        # parameters and Stripe's idempotency check accepts it.
        expires_at = math.ceil((hold_end + EXPIRY_MARGIN).timestamp())
        fee = self.platform_fee(booking)
        checkout = self.client.v1.checkout.sessions.create(
            t.cast(t.Any, self._session_params(booking, return_url, expires_at, fee)),
            {"idempotency_key": f"checkout-{booking.uid}"},
        )
        session = db.session()
        with write_transaction(session):
            payment = ledger.payment_for_checkout(checkout.id)
            if payment is None:
                payment = Payment(
                    booking_id=booking.id,
                    provider=ledger.PROVIDER,
                    external_id=checkout.id,
                    status=ledger.PENDING,
                    amount_cents=checkout.amount_total or booking.price_cents,
                    currency=(checkout.currency or booking.currency).lower(),
                    platform_fee_cents=fee,
                    checkout_url=checkout.url,
                )
                session.add(payment)
            session.refresh(booking)
            if booking.state == BookingState.HELD:
                # The hold and the session end together: neither outlives the other.
                booking.hold_expires_at = dt.datetime.fromtimestamp(checkout.expires_at, dt.UTC)
        return CheckoutStart(redirect_url=checkout.url)

    def _session_params(
        self, booking: Booking, return_url: str, expires_at: int, fee: int
    ) -> dict[str, t.Any]:
        tutor = booking.tutor
        start = booking.start_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        metadata = {"booking_uid": booking.uid, "booking_id": str(booking.id)}
        intent: dict[str, t.Any] = {
            "metadata": metadata,
            "description": f"Tutoring session {booking.uid}",
        }
        if tutor.payout_account_id:
            intent["transfer_data"] = {"destination": tutor.payout_account_id}
            if fee > 0:
                intent["application_fee_amount"] = fee
        params: dict[str, t.Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": booking.currency,
                        "unit_amount": booking.price_cents,
                        "product_data": {
                            "name": f"{booking.subject.name} with {tutor.user.display_name}",
                            "description": f"{booking.duration_min} minutes, {start}",
                        },
                    },
                }
            ],
            "expires_at": expires_at,
            "client_reference_id": booking.uid,
            "metadata": metadata,
            "payment_intent_data": intent,
            "success_url": _with_query(return_url, "checkout=success"),
            "cancel_url": _with_query(return_url, "checkout=cancelled"),
        }
        if booking.learner.email:
            params["customer_email"] = booking.learner.email
        return params

    def refund(self, booking: Booking, amount_cents: int, reason: str) -> None:
        """Return up to *amount_cents* of the booking's payment; nothing when none was taken.

        A destination charge pulls the tutor's transfer back (``reverse_transfer``) and
        returns the platform fee with it, so a refunded learner costs the tutor nothing.

        :raises stripe.StripeError: Stripe refused or could not be reached.
        """
        payment = ledger.latest_payment(booking, ledger.HOLDING_MONEY)
        if payment is None or not payment.payment_reference:
            return
        amount = min(amount_cents, payment.amount_cents - payment.refunded_cents)
        if amount <= 0:
            return
        intent = self.client.v1.payment_intents.retrieve(payment.payment_reference)
        params: dict[str, t.Any] = {
            "payment_intent": payment.payment_reference,
            "amount": amount,
            "reason": "requested_by_customer",
            "metadata": {"booking_uid": booking.uid, "reason": reason[:500]},
        }
        if intent.transfer_data:
            params["reverse_transfer"] = True
            if intent.application_fee_amount:
                params["refund_application_fee"] = True
        refund = self.client.v1.refunds.create(
            t.cast(t.Any, params),
            # Keyed by what was already returned, so a retry cannot refund twice while a
            # later, separate refund of the remainder still gets its own key.
            {"idempotency_key": f"refund-{booking.uid}-{payment.refunded_cents}-{amount}"},
        )
        session = db.session()
        with write_transaction(session):
            session.refresh(payment)
            ledger.record_refund(payment, payment.refunded_cents + refund.amount)
        log.info("refunded %s cents of booking %s (%s)", refund.amount, booking.id, reason)

    def expire_checkout(self, booking: Booking) -> None:
        """End the booking's open Checkout Session, so a cancelled hold cannot be paid."""
        payment = ledger.latest_payment(booking, [ledger.PENDING])
        if payment is None:
            return
        try:
            self.client.v1.checkout.sessions.expire(payment.external_id)
        except stripe.InvalidRequestError as exc:
            # Already paid or expired: its own webhook tells us which.
            log.info("checkout %s not expired: %s", payment.external_id, exc.user_message)

    def payout_onboarding_url(self, tutor: TutorProfile, return_url: str | None = None) -> str:
        """A one-time Stripe link where *tutor* sets up (or finishes) their payout account."""
        return connect.onboarding_url(self.client, tutor, return_url)


def _with_query(url: str, pair: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{pair}"
