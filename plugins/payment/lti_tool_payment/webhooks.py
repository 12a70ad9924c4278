"""What each verified Stripe event changes.

Every event is processed at most once: its id is written to ``webhook_events`` in the same
transaction as its effect, so a redelivery finds it and changes nothing, and two deliveries
racing each other collide on the table's unique constraint, which rolls the loser back.

Events arrive in any order, so handlers look at the state of things rather than at the order
of events: an ``expired`` after ``completed`` finds the booking confirmed and leaves it so; a
refund reported before the payment's own completion is tied to its payment through Stripe
(PaymentIntent, then its Checkout Session) and is counted when the completion comes; a
refund's status only ever moves forward (``ledger.REFUND_RANK``); an account event makes the
tool ask Stripe for the account as it is now.

An effect that could not be carried out (Stripe unreachable while a refund is sent or a
payment is looked up) makes the delivery fail with a 503, so Stripe delivers it again.
"""

from __future__ import annotations

import logging
import typing as t
from collections.abc import Callable
from dataclasses import dataclass

import stripe
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.api import Booking
from lti_tool.api import BookingError
from lti_tool.api import BookingState
from lti_tool.api import Payment
from lti_tool.api import PaymentRefund
from lti_tool.api import booking_service
from lti_tool.api import db
from lti_tool.api import write_transaction
from lti_tool_payment import amounts
from lti_tool_payment import connect
from lti_tool_payment import ledger
from lti_tool_payment.provider import StripeProvider

log = logging.getLogger(__name__)

Json = dict[str, t.Any]
#: Checkout reports these once the money is certain; delayed methods report "unpaid" first.
SETTLED = frozenset({"paid", "no_payment_required"})


@dataclass
class Outcome:
    """What a handler did, and the payment whose refunds must go out before answering."""

    word: str
    payment: Payment | None = None


Handler = Callable[[str, str, Json, StripeProvider], Outcome]


class Retry(Exception):
    """The event cannot be applied yet; Stripe should deliver it again."""


#: Fields of an event's object that handlers read, with the types Stripe sends them as.
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "amount": (int,),
    "amount_total": (int,),
    "currency": (str,),
    "metadata": (dict,),
    "payment_status": (str,),
    "status": (str,),
    "reason": (str,),
    "url": (str,),
    "payment_intent": (str, dict),
}


def malformed(event: t.Any) -> str | None:
    """Why a correctly signed event cannot be applied, or None when its shape is sound.

    A signature proves who sent the body, not that it has the fields the handlers read, so
    this is checked before anything is recorded.
    """
    if not isinstance(event, dict):
        return "the event is not a JSON object"
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        return "the event has no id or type"
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return "the event has no data.object"
    if not isinstance(obj.get("id"), str) or not obj["id"]:
        return "data.object has no id"
    for field, kinds in _FIELD_TYPES.items():
        value = obj.get(field)
        # bool is an int to Python, never an amount to Stripe.
        if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
            return f"data.object.{field} has the wrong type"
    metadata = obj.get("metadata") or {}
    if not all(isinstance(value, str) for value in metadata.values()):
        return "data.object.metadata holds a value that is not text"
    return None


def handle(event: Json, provider: StripeProvider) -> str:
    """Apply a verified event; returns a short word saying what happened, for the response.

    :raises Retry: an effect failed (Stripe unreachable): nothing was recorded, or the refunds
        written down are still to be sent; a redelivery finishes the work.
    """
    event_id, kind = str(event["id"]), str(event["type"])
    if ledger.event_seen(event_id):
        outcome = Outcome("duplicate", _payment_named_by(event))
    else:
        handler = HANDLERS.get(kind, _ignore)
        try:
            outcome = handler(event_id, kind, event["data"]["object"], provider)
        except IntegrityError:
            db.session.rollback()
            if not ledger.event_seen(event_id):
                raise
            outcome = Outcome("duplicate")  # a concurrent delivery got there first
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
            db.session.rollback()
            raise Retry(f"Stripe could not be asked about this event: {exc}") from exc
    if outcome.payment is not None:
        _send_refunds(outcome.payment, provider)
    return outcome.word


def _send_refunds(payment: Payment, provider: StripeProvider) -> None:
    db.session.rollback()
    for row in ledger.refunds_of(payment):
        try:
            provider.send(row)
        except stripe.InvalidRequestError:
            log.exception("Stripe refused refund %s", row.request_key)
        except stripe.StripeError as exc:
            raise Retry(f"refund {row.request_key} could not be sent: {exc}") from exc


def _payment_named_by(event: Json) -> Payment | None:
    obj = event.get("data", {}).get("object", {})
    if event.get("type", "").startswith("checkout.session."):
        return ledger.payment_for_checkout(str(obj.get("id")))
    return None


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


def _ignore(event_id: str, kind: str, _obj: Json, _provider: StripeProvider) -> Outcome:
    _record(event_id, kind)
    return Outcome("ignored")


def _booking_of(payment: Payment) -> Booking:
    booking = db.session.get(Booking, payment.booking_id)
    assert booking is not None  # payments.booking_id is a foreign key
    return booking


def _id_of(value: t.Any) -> str | None:
    """An id from a field Stripe sends either as an id or, when expanded, as an object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _adopt(checkout: Json) -> Payment | None:
    """A Payment for a session of ours that was never written down: the process stopped
    between Stripe creating it and the tool saving it, and the learner paid it anyway."""
    uid = (checkout.get("metadata") or {}).get("booking_uid")
    booking = db.session.scalar(db.select(Booking).where(Booking.uid == uid)) if uid else None
    currency = str(checkout.get("currency") or "")
    if booking is None or not currency:
        return None
    with write_transaction(db.session()):
        payment = Payment(
            booking_id=booking.id,
            provider=ledger.PROVIDER,
            external_id=str(checkout["id"]),
            status=ledger.PENDING,
            amount_cents=amounts.from_stripe(int(checkout.get("amount_total") or 0), currency),
            currency=currency.lower(),
            checkout_url=checkout.get("url"),
        )
        db.session.add(payment)
    return payment


def _paid(event_id: str, kind: str, checkout: Json, provider: StripeProvider) -> Outcome:
    payment = ledger.payment_for_checkout(str(checkout["id"])) or _adopt(checkout)
    if payment is None:
        _record(event_id, kind)
        return Outcome("unknown_checkout")
    if checkout.get("payment_status") not in SETTLED:
        _record(event_id, kind)
        return Outcome("awaiting_payment")
    intent = _id_of(checkout.get("payment_intent"))
    booking = _booking_of(payment)
    paid = amounts.from_stripe(int(checkout.get("amount_total") or 0), payment.currency)
    was = payment.status
    already_refunded = ledger.committed_refunds(ledger.refunds_of(payment))
    # Only the booking's current checkout, paid in full at the booking's price, confirms it.
    exact = (
        was in (ledger.PENDING, ledger.EXPIRED)
        and ledger.at_booking_price(paid, payment.currency, booking)
        and already_refunded == 0
    )

    def settle() -> None:
        if payment.status in (ledger.PENDING, ledger.EXPIRED, ledger.SUPERSEDED):
            payment.status = ledger.PAID
        if intent:
            payment.payment_reference = intent
        ledger.settle_totals(payment)

    if exact and booking.state == BookingState.HELD:
        service = booking_service()
        record = _recorder(event_id, kind, settle)
        with ledger.riding_on_next_commit(db.session(), record) as committed:
            try:
                service.confirm(booking)
            except BookingError:
                pass  # released meanwhile; handled below like any other late payment
        if committed():
            return Outcome("confirmed", payment)
    if was in ledger.HOLDING_MONEY or was == ledger.REFUNDED:
        _record(event_id, kind, settle)
        return Outcome("already_paid", payment)

    # Money that confirms nothing: paid after the slot was released, for a superseded price,
    # or already (partly) refunded before its completion reached us. Keeping it would charge
    # the learner for nothing, so what is left of it goes back.
    def settle_and_refund() -> None:
        settle()
        provider.request_refund(
            payment, payment.amount_cents, _why_refunded(was, booking), commit=False
        )

    _record(event_id, kind, settle_and_refund)
    if already_refunded and was != ledger.SUPERSEDED and booking.state == BookingState.HELD:
        # Its own payment was given back at Stripe: nobody is paying for this hold. A payment
        # at a wrong price, on the contrary, leaves the hold to be paid at the right one.
        _release(booking, "The payment was refunded before it was confirmed.")
    return Outcome("refunded_late_payment" if not already_refunded else "refunded", payment)


def _why_refunded(status: str, booking: Booking) -> str:
    if status == ledger.SUPERSEDED:
        return "paid at a price the booking no longer has"
    if booking.state == BookingState.HELD:
        return "refunded before the payment was confirmed"
    return "paid after the booking was released"


def _release(booking: Booking, reason: str) -> None:
    try:
        booking_service().cancel(booking, None, reason)
    except BookingError:
        pass  # already released or started


def _expired(event_id: str, kind: str, checkout: Json, _provider: StripeProvider) -> Outcome:
    payment = ledger.payment_for_checkout(str(checkout["id"]))
    if payment is None:
        _record(event_id, kind)
        return Outcome("unknown_checkout")

    def end() -> None:
        if payment.status == ledger.PENDING:
            payment.status = ledger.EXPIRED

    booking = _booking_of(payment)
    if payment.status == ledger.PENDING and booking.state == BookingState.HELD:
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
                    # Ended early (in Stripe's dashboard, a delayed method failed, or our
                    # clock lags Stripe's): the slot is released now.
                    service.cancel(booking, None, "The payment page closed before payment.")
            except BookingError:
                pass  # confirmed or released meanwhile; only the record is left to write
        if committed():
            return Outcome("released")
    _record(event_id, kind, end)
    return Outcome("unchanged")


def payment_for_intent(intent_id: str, provider: StripeProvider) -> Payment | None:
    """The payment a PaymentIntent paid, asking Stripe when the tool has not seen its
    completion yet: the intent names the booking, and its Checkout Session the payment."""
    payment = ledger.payment_for_intent(intent_id)
    if payment is not None:
        return payment
    try:
        intent = provider.client.v1.payment_intents.retrieve(intent_id)
    except stripe.InvalidRequestError:
        return None  # not visible with this key: another account's payment
    if not (intent.to_dict().get("metadata") or {}).get("booking_uid"):
        return None  # not a payment of this tool
    sessions = provider.client.v1.checkout.sessions.list({"payment_intent": intent_id, "limit": 1})
    for checkout in sessions.data:
        payment = ledger.payment_for_checkout(checkout.id) or _adopt(checkout.to_dict())
        if payment is not None:
            return payment
    return None


def _charge_refunded(event_id: str, kind: str, charge: Json, provider: StripeProvider) -> Outcome:
    def refunds(intent: str) -> list[Json]:
        # The charge says how much in all, not which refunds: Stripe's list of them says that.
        listed = provider.client.v1.refunds.list({"payment_intent": intent, "limit": 100})
        return [refund.to_dict() for refund in listed.data]

    return _note_refunds(event_id, kind, charge, provider, refunds)


def _refund_changed(event_id: str, kind: str, refund: Json, provider: StripeProvider) -> Outcome:
    return _note_refunds(event_id, kind, refund, provider, lambda _intent: [refund])


def _note_refunds(
    event_id: str,
    kind: str,
    obj: Json,
    provider: StripeProvider,
    refunds_of: Callable[[str], list[Json]],
) -> Outcome:
    """Record the refunds *refunds_of* gives for the PaymentIntent *obj* names."""
    intent = _id_of(obj.get("payment_intent"))
    payment = payment_for_intent(intent, provider) if intent else None
    if payment is None or intent is None:
        _record(event_id, kind)
        return Outcome("unknown_payment")
    refunds = refunds_of(intent)

    def note() -> None:
        payment.payment_reference = payment.payment_reference or intent
        for refund in refunds:
            _upsert_refund(payment, refund)
        ledger.settle_totals(payment)

    _record(event_id, kind, note)
    return Outcome("recorded", payment)


def _upsert_refund(payment: Payment, refund: Json) -> PaymentRefund:
    """The refund's row, found by Stripe's id or by the key the tool sent it with, or made
    for a refund issued elsewhere (Stripe's dashboard); its status moved forward."""
    row = ledger.refund_by_external_id(str(refund["id"]))
    key = (refund.get("metadata") or {}).get("refund_key")
    if row is None and key:
        row = db.session.scalar(db.select(PaymentRefund).where(PaymentRefund.request_key == key))
    if row is None:
        row = PaymentRefund(
            payment_id=payment.id,
            request_key=f"external-{refund['id']}",
            amount_cents=amounts.from_stripe(int(refund.get("amount") or 0), payment.currency),
            status=ledger.REQUESTED,
            reason=str(refund.get("reason") or "refunded at Stripe"),
        )
        db.session.add(row)
    row.external_id = row.external_id or str(refund["id"])
    ledger.apply_refund_status(
        row, str(refund.get("status") or "pending"), refund.get("failure_reason")
    )
    db.session.flush()
    return row


def _account(event_id: str, kind: str, account: Json, provider: StripeProvider) -> Outcome:
    row = connect.account_by_id(str(account.get("id")))
    if row is None:
        _record(event_id, kind)
        return Outcome("unknown_account")
    # Account events may arrive out of order; the account as it is now cannot.
    current = provider.client.v1.accounts.retrieve(str(account["id"])).to_dict()

    def note() -> None:
        connect.apply_account(row, current)

    _record(event_id, kind, note)
    return Outcome("payable" if row.payable else "not_payable")


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _paid,
    "checkout.session.async_payment_succeeded": _paid,
    "checkout.session.expired": _expired,
    "checkout.session.async_payment_failed": _expired,
    "charge.refunded": _charge_refunded,
    "refund.created": _refund_changed,
    "refund.updated": _refund_changed,
    "refund.failed": _refund_changed,
    "charge.refund.updated": _refund_changed,
    "account.updated": _account,
}
