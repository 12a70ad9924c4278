"""Collecting money for bookings with Stripe Checkout, and giving it back.

A paid booking is held while the learner pays on Stripe's hosted page. The Checkout Session
expires when the hold does, so Stripe never takes money for a slot the tool has already given
away. Only a signed webhook confirms the booking (``webhooks.py``), and only when what was paid
is the booking's price; returning to the success URL proves nothing.

When the tutor has a payable Connect account, the charge is a destination charge: the money
goes to the tutor, less the application fee (the platform's share and the allowance for
Stripe's fee, ``amounts.split``), and a refund pulls it back from them.

Every request that creates something carries an idempotency key made of ids that are unique
to this site's objects (a booking's random uid, a Checkout Session id, a random key stored
before the request), so a retry gets the first answer and no other site sharing the Stripe
account, nor this one after a database reset, can collide with it.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import typing as t

import stripe

from lti_tool.api import Booking
from lti_tool.api import BookingState
from lti_tool.api import CheckoutStart
from lti_tool.api import Payment
from lti_tool.api import PaymentNotPossible
from lti_tool.api import PaymentRefund
from lti_tool.api import TutorProfile
from lti_tool.api import booking_service
from lti_tool.api import db
from lti_tool.api import write_transaction
from lti_tool_payment import amounts
from lti_tool_payment import connect
from lti_tool_payment import ledger
from lti_tool_payment.settings import MIN_HOLD_MINUTES
from lti_tool_payment.state import PluginState

log = logging.getLogger(__name__)

#: Added to the hold when the session is created: Stripe counts its 30-minute minimum from
#: the moment the request reaches it, a little after the hold began.
EXPIRY_MARGIN = dt.timedelta(seconds=60)
#: A hold shorter than this cannot get a Checkout Session, whose life is 30 minutes at least.
SHORTEST_CHECKOUT = dt.timedelta(minutes=MIN_HOLD_MINUTES) - EXPIRY_MARGIN / 2
#: Attempts at one refund before it is left to a person (the booking page says so).
REFUND_ATTEMPTS = 3


class StripeProvider:
    """The :class:`lti_tool.payments.PaymentProvider` backed by Stripe."""

    name = ledger.PROVIDER
    pays_out_tutors = True

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

    def refusal(self, booking: Booking) -> str | None:
        _, reason = connect.destination(booking.tutor)
        if reason is not None:
            return reason
        try:
            amounts.to_stripe(booking.price_cents, booking.currency)
        except amounts.UnchargeableAmount as exc:
            return str(exc)
        return None

    def start_checkout(self, booking: Booking, return_url: str) -> CheckoutStart:
        """Create the Checkout Session for a held booking and remember it as a pending payment.

        Asking again gives the session already open at the booking's price. A session at
        another price (the booking was moved to another length) is superseded: expired at
        Stripe and never honoured. A hold too short for a new session (its first attempt was
        interrupted) is renewed first, since the slot is still this learner's.

        :raises PaymentNotPossible: the tutor's payout account stopped being payable.
        :raises InvalidTransition: the booking is no longer held.
        :raises stripe.StripeError: Stripe refused or could not be reached.
        """
        current = ledger.latest_payment(booking, [ledger.PENDING])
        if current is not None:
            if current.checkout_url and ledger.at_booking_price(
                current.amount_cents, current.currency, booking
            ):
                return CheckoutStart(redirect_url=current.checkout_url)
            self.supersede(current)
        account, reason = connect.destination(booking.tutor)
        if reason is not None:
            raise PaymentNotPossible(reason)
        hold_end = booking_service().renew_hold(booking, SHORTEST_CHECKOUT)
        # Derived from the stored hold, not from "now", so a retried request carries the same
        # parameters and Stripe's idempotency check accepts it.
        expires_at = math.ceil((hold_end + EXPIRY_MARGIN).timestamp())
        split = amounts.split(
            booking.price_cents, booking.currency, self.settings, connect=account is not None
        )
        checkout = self.client.v1.checkout.sessions.create(
            t.cast(t.Any, self._session_params(booking, return_url, expires_at, account, split)),
            {"idempotency_key": f"checkout-{booking.uid}-{booking.price_cents}-{expires_at}"},
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
                    amount_cents=booking.price_cents,
                    currency=booking.currency,
                    platform_fee_cents=split.platform_share,
                    processing_fee_cents=split.processing,
                    checkout_url=checkout.url,
                )
                session.add(payment)
            session.refresh(booking)
            if booking.state == BookingState.HELD:
                # The hold and the session end together: neither outlives the other.
                booking.hold_expires_at = dt.datetime.fromtimestamp(checkout.expires_at, dt.UTC)
        return CheckoutStart(redirect_url=checkout.url)

    def supersede(self, payment: Payment) -> None:
        """Retire a checkout at an old price: marked first, so a payment that still gets
        through is refunded by its webhook, then expired at Stripe."""
        session = db.session()
        with write_transaction(session):
            session.refresh(payment)
            if payment.status != ledger.PENDING:
                return
            payment.status = ledger.SUPERSEDED
        self._expire_at_stripe(payment)

    def _session_params(
        self,
        booking: Booking,
        return_url: str,
        expires_at: int,
        account: str | None,
        split: amounts.Split,
    ) -> dict[str, t.Any]:
        tutor = booking.tutor
        start = booking.start_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        metadata = {"booking_uid": booking.uid, "booking_id": str(booking.id)}
        intent: dict[str, t.Any] = {
            "metadata": metadata,
            "description": f"Tutoring session {booking.uid}",
        }
        if account is not None:
            intent["transfer_data"] = {"destination": account}
            if split.application_fee > 0:
                intent["application_fee_amount"] = amounts.to_stripe(
                    split.application_fee, booking.currency
                )
        params: dict[str, t.Any] = {
            "mode": "payment",
            "payment_method_types": list(self.settings.payment_methods),
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": booking.currency,
                        "unit_amount": amounts.to_stripe(booking.price_cents, booking.currency),
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

    # -- refunds ---------------------------------------------------------------------------

    def refund_in_full(self, booking: Booking, reason: str) -> None:
        """Give back everything the booking's payments hold that is not on its way back yet.

        Each refund is written down (``requested``, with the idempotency key its request will
        carry) before Stripe is asked, and then every refund of the booking still
        ``requested`` is sent. Running this again, as a retried job does, adds no refund and
        sends only what Stripe has not accepted; a request that reached Stripe before the
        answer was lost is recognised by its key and made once.

        :raises stripe.StripeError: Stripe could not be reached (try again later), or refused
            a refund (``InvalidRequestError``; that refund is then ``failed``).
        """
        payments = ledger.payments_of(booking, ledger.HOLDING_MONEY)
        for payment in payments:
            self.request_refund(payment, payment.amount_cents, reason)
        for payment in payments:
            for row in ledger.refunds_of(payment):
                self.send(row)

    def request_refund(
        self, payment: Payment, amount: int, reason: str, *, commit: bool = True
    ) -> PaymentRefund | None:
        """Write down a refund of up to *amount* of *payment* (what is not already on its
        way back); ``None`` when nothing is left to refund. With *commit* false the row joins
        the caller's transaction."""

        def add() -> PaymentRefund | None:
            earlier = ledger.refunds_of(payment)
            due = min(amount, payment.amount_cents - ledger.committed_refunds(earlier))
            if due <= 0 or not payment.payment_reference:
                return None
            attempt = len(earlier) + 1
            row = PaymentRefund(
                payment_id=payment.id,
                request_key=f"refund-{payment.external_id}-{attempt}",
                amount_cents=due,
                status=ledger.REQUESTED,
                reason=reason[:500],
            )
            db.session.add(row)
            return row

        if not commit:
            return add()
        with write_transaction(db.session()):
            return add()

    def retry(self, failed: PaymentRefund) -> PaymentRefund | None:
        """A new attempt at a refund that failed; ``None`` once the attempts are used up."""
        if failed.attempt >= REFUND_ATTEMPTS:
            return None
        with write_transaction(db.session()):
            row = PaymentRefund(
                payment_id=failed.payment_id,
                request_key=f"{failed.request_key.rsplit('-try', 1)[0]}-try{failed.attempt + 1}",
                amount_cents=failed.amount_cents,
                status=ledger.REQUESTED,
                reason=failed.reason,
                attempt=failed.attempt + 1,
                retry_of_id=failed.id,
            )
            db.session.add(row)
        self.send(row)
        return row

    def send_quietly(self, row: PaymentRefund) -> bool:
        """:meth:`send`, logging instead of raising when Stripe cannot be reached."""
        try:
            self.send(row)
        except stripe.StripeError:
            log.exception("refund %s not sent yet; retry-refunds will send it", row.request_key)
            return False
        return True

    def send(self, row: PaymentRefund) -> None:
        """Ask Stripe for a refund written down as ``requested``.

        A destination charge pulls the tutor's transfer back (``reverse_transfer``); the
        platform returns its own share of the application fee to the tutor but keeps the
        processing allowance, because Stripe keeps its fee on a refund. Stripe refusing the
        refund outright marks it ``failed``.

        :raises stripe.StripeError: Stripe could not be reached or answered with an error
            other than a refusal; the row stays ``requested``.
        """
        if row.status != ledger.REQUESTED:
            return
        payment = db.session.get(Payment, row.payment_id)
        assert payment is not None and payment.payment_reference
        intent = self.client.v1.payment_intents.retrieve(
            payment.payment_reference, {"expand": ["latest_charge"]}
        )
        params: dict[str, t.Any] = {
            "payment_intent": payment.payment_reference,
            "amount": amounts.to_stripe(row.amount_cents, payment.currency),
            "reason": "requested_by_customer",
            "metadata": {"refund_key": row.request_key, "reason": row.reason[:500]},
        }
        if intent.transfer_data:
            params["reverse_transfer"] = True
            self._return_platform_share(intent, payment, row)
        try:
            refund = self.client.v1.refunds.create(
                t.cast(t.Any, params), {"idempotency_key": row.request_key}
            )
        except stripe.InvalidRequestError as exc:
            self._note(row, "failed", exc.code or "refused")
            raise
        status = getattr(refund, "status", None) or "pending"
        self._note(row, status, getattr(refund, "failure_reason", None), refund.id)
        log.info("refund %s of payment %s: %s", row.request_key, payment.id, status)

    def _return_platform_share(
        self, intent: stripe.PaymentIntent, payment: Payment, row: PaymentRefund
    ) -> None:
        charge = intent.latest_charge
        fee_id = getattr(charge, "application_fee", None) if charge is not None else None
        if isinstance(fee_id, stripe.ApplicationFee):
            fee_id = fee_id.id
        back = amounts.prorate(row.amount_cents, payment.amount_cents, payment.platform_fee_cents)
        if not fee_id or back <= 0:
            return
        self.client.v1.application_fees.refunds.create(
            str(fee_id),
            {"amount": amounts.to_stripe(back, payment.currency)},
            {"idempotency_key": f"{row.request_key}-share"},
        )

    @staticmethod
    def _note(
        row: PaymentRefund, status: str, failure: str | None, external_id: str | None = None
    ) -> None:
        session = db.session()
        with write_transaction(session):
            session.refresh(row)
            if external_id and not row.external_id:
                row.external_id = external_id
            ledger.apply_refund_status(row, status, failure)
            payment = session.get(Payment, row.payment_id)
            assert payment is not None
            ledger.settle_totals(payment)

    # -- checkouts and payouts --------------------------------------------------------------

    def expire_checkout(self, booking: Booking) -> None:
        """End the booking's open Checkout Session, so a cancelled hold cannot be paid."""
        payment = ledger.latest_payment(booking, [ledger.PENDING])
        if payment is not None:
            self._expire_at_stripe(payment)

    def _expire_at_stripe(self, payment: Payment) -> None:
        try:
            self.client.v1.checkout.sessions.expire(payment.external_id)
        except stripe.InvalidRequestError as exc:
            # Already paid or expired: its own webhook tells us which.
            log.info("checkout %s not expired: %s", payment.external_id, exc.user_message)
        except stripe.StripeError:
            # It expires by itself with the hold; paying it meanwhile is refunded.
            log.exception("checkout %s could not be expired now", payment.external_id)

    def payout_onboarding_url(self, tutor: TutorProfile, return_url: str | None = None) -> str:
        """A one-time Stripe link where *tutor* sets up (or finishes) their payout account."""
        return connect.onboarding_url(self.client, tutor, return_url)


def _with_query(url: str, pair: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{pair}"
