"""What each verified Stripe event changes.

Every event is processed at most once: its id is written to ``webhook_events`` in the same
transaction as its effect, so a redelivery finds it and changes nothing, and two deliveries
racing each other collide on the table's unique constraint, which rolls the loser back.
Handlers look at the booking's state rather than at the order events arrive in: an
``expired`` after ``completed`` finds the booking confirmed and leaves it so.
"""

from __future__ import annotations

import logging
import typing as t
from collections.abc import Callable

import stripe
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.booking import BookingError
from lti_tool.booking import booking_service
from lti_tool.database import write_transaction
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Payment
from lti_tool.models import db
from lti_tool_payment import ledger
from lti_tool_payment.provider import StripeProvider

log = logging.getLogger(__name__)

Json = dict[str, t.Any]
Handler = Callable[[str, str, Json, StripeProvider], str]
#: Checkout reports these once the money is certain; delayed methods report "unpaid" first.
SETTLED = frozenset({"paid", "no_payment_required"})


def handle(event: Json, provider: StripeProvider) -> str:
    """Apply a verified event; returns a short word saying what happened, for the response."""
    event_id, kind = str(event["id"]), str(event["type"])
    if ledger.event_seen(event_id):
        return "duplicate"
    handler = HANDLERS.get(kind, _ignore)
    try:
        return handler(event_id, kind, event["data"]["object"], provider)
    except IntegrityError:
        db.session.rollback()
        if ledger.event_seen(event_id):
            return "duplicate"  # a concurrent delivery of the same event got there first
        raise


def _recorder(
    event_id: str, kind: str, change: Callable[[], None] | None = None
) -> Callable[[Session], None]:
    """Writes the event's record and its change to the payment, into a given session."""

    def write(session: Session) -> None:
        session.add(ledger.event_row(event_id, kind))
        if change is not None:
            change()

    return write


def _record(event_id: str, kind: str, change: Callable[[], None] | None = None) -> None:
    """Record the event (and *change*) in a transaction of its own."""
    session = db.session()
    with write_transaction(session):
        _recorder(event_id, kind, change)(session)


def _ignore(event_id: str, kind: str, _obj: Json, _provider: StripeProvider) -> str:
    _record(event_id, kind)
    return "ignored"


def _booking_of(payment: Payment) -> Booking:
    booking = db.session.get(Booking, payment.booking_id)
    assert booking is not None  # payments.booking_id is a foreign key
    return booking


def _id_of(value: t.Any) -> str | None:
    """An id from a field Stripe sends either as an id or, when expanded, as an object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _paid(event_id: str, kind: str, checkout: Json, provider: StripeProvider) -> str:
    payment = ledger.payment_for_checkout(str(checkout["id"]))
    if payment is None:
        _record(event_id, kind)
        return "unknown_checkout"
    if checkout.get("payment_status") not in SETTLED:
        _record(event_id, kind)
        return "awaiting_payment"
    intent = _id_of(checkout.get("payment_intent"))

    def settle() -> None:
        if payment.status in (ledger.PENDING, ledger.EXPIRED):
            payment.status = ledger.PAID
        if intent:
            payment.payment_reference = intent

    booking = _booking_of(payment)
    if booking.state == BookingState.HELD:
        service = booking_service()
        record = _recorder(event_id, kind, settle)
        with ledger.riding_on_next_commit(db.session(), record) as committed:
            try:
                service.confirm(booking)
            except BookingError:
                pass  # released meanwhile; handled below like any other late payment
        if committed():
            return "confirmed"
    _record(event_id, kind, settle)
    db.session.refresh(booking)
    if booking.state in (BookingState.CONFIRMED, BookingState.COMPLETED, BookingState.NO_SHOW):
        return "already_confirmed"
    # The money came for a slot the tool no longer holds (cancelled, or the hold ran out):
    # keeping it would charge the learner for nothing.
    try:
        provider.refund(booking, payment.amount_cents, "paid after the booking was released")
    except stripe.StripeError:
        log.exception("booking %s was paid after its release; refund it by hand", booking.id)
        return "refund_failed"
    return "refunded_late_payment"


def _expired(event_id: str, kind: str, checkout: Json, _provider: StripeProvider) -> str:
    payment = ledger.payment_for_checkout(str(checkout["id"]))
    if payment is None:
        _record(event_id, kind)
        return "unknown_checkout"

    def end() -> None:
        if payment.status == ledger.PENDING:
            payment.status = ledger.EXPIRED

    booking = _booking_of(payment)
    if booking.state == BookingState.HELD:
        service = booking_service()
        # Decided before the block: a read inside it would begin a transaction of its own,
        # and the record would be committed with that one instead of with the release.
        lapsed = booking.hold_expires_at is None or booking.hold_expires_at <= service.now()
        record = _recorder(event_id, kind, end)
        with ledger.riding_on_next_commit(db.session(), record) as committed:
            try:
                if lapsed:
                    service.expire_holds()
                else:
                    # Ended early (in Stripe's dashboard, or our clock lags Stripe's): the
                    # slot is released now rather than when the hold would have run out.
                    service.cancel(booking, None, "The payment page closed before payment.")
            except BookingError:
                pass  # confirmed or released meanwhile; only the record is left to write
        if committed():
            return "released"
    _record(event_id, kind, end)
    return "unchanged"


def _refunded(event_id: str, kind: str, charge: Json, _provider: StripeProvider) -> str:
    intent = _id_of(charge.get("payment_intent"))
    payment = ledger.payment_for_intent(intent) if intent else None

    def note() -> None:
        if payment is not None:
            ledger.record_refund(payment, int(charge.get("amount_refunded") or 0))

    _record(event_id, kind, note)
    return "recorded" if payment is not None else "unknown_charge"


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _paid,
    "checkout.session.async_payment_succeeded": _paid,
    "checkout.session.expired": _expired,
    "charge.refunded": _refunded,
}
