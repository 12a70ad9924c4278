"""Reading and writing the payment records: ``Payment`` rows, their refunds, and processed
webhook events."""

from __future__ import annotations

import contextlib
import typing as t
from collections.abc import Callable
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lti_tool.api import Booking
from lti_tool.api import Payment
from lti_tool.api import PaymentRefund
from lti_tool.api import db
from lti_tool_payment.models import WebhookEvent

PROVIDER = "stripe"

PENDING = "pending"
PAID = "paid"
EXPIRED = "expired"
REFUNDED = "refunded"
PARTIALLY_REFUNDED = "partially_refunded"
#: A checkout replaced by another at a new price; paying it is refunded, never confirmed.
SUPERSEDED = "superseded"
#: Statuses of a payment whose money is (at least partly) still with us.
HOLDING_MONEY = (PAID, PARTIALLY_REFUNDED)

#: Refund statuses, ranked: a report of a lower rank never overwrites a higher one, so events
#: may arrive in any order. Stripe can fail a refund it first called succeeded, never the
#: reverse, and failed and canceled are final.
REQUESTED = "requested"
REFUND_RANK = {
    REQUESTED: 0,
    "pending": 1,
    "requires_action": 1,
    "succeeded": 2,
    "failed": 3,
    "canceled": 3,
}
#: Refund statuses that still count against what can be refunded.
REFUND_OPEN = ("requested", "pending", "requires_action", "succeeded")


def _session() -> Session:
    return db.session()


def payment_for_checkout(checkout_id: str) -> Payment | None:
    return _session().scalar(
        sa.select(Payment).where(Payment.provider == PROVIDER, Payment.external_id == checkout_id)
    )


def payment_for_intent(intent_id: str) -> Payment | None:
    return _session().scalar(
        sa.select(Payment).where(
            Payment.provider == PROVIDER, Payment.payment_reference == intent_id
        )
    )


def payments_of(booking: Booking, statuses: t.Collection[str]) -> list[Payment]:
    """The booking's payments in one of *statuses*, oldest first."""
    return list(
        _session().scalars(
            sa.select(Payment)
            .where(
                Payment.provider == PROVIDER,
                Payment.booking_id == booking.id,
                Payment.status.in_(statuses),
            )
            .order_by(Payment.id)
        )
    )


def latest_payment(booking: Booking, statuses: t.Collection[str]) -> Payment | None:
    """The booking's most recent payment in one of *statuses*."""
    found = payments_of(booking, statuses)
    return found[-1] if found else None


def at_booking_price(amount: int, currency: str, booking: Booking) -> bool:
    """Whether *amount* of *currency* is what *booking* costs now: the only money that may
    confirm it."""
    return (amount, currency) == (booking.price_cents, booking.currency)


def event_seen(event_id: str) -> bool:
    found = _session().scalar(
        sa.select(WebhookEvent.id).where(
            WebhookEvent.provider == PROVIDER, WebhookEvent.event_id == event_id
        )
    )
    return found is not None


def event_row(event_id: str, event_type: str) -> WebhookEvent:
    return WebhookEvent(provider=PROVIDER, event_id=event_id, event_type=event_type)


def refunds_of(payment: Payment) -> list[PaymentRefund]:
    return list(
        _session().scalars(
            sa.select(PaymentRefund)
            .where(PaymentRefund.payment_id == payment.id)
            .order_by(PaymentRefund.id)
        )
    )


def refund_by_external_id(refund_id: str) -> PaymentRefund | None:
    return _session().scalar(sa.select(PaymentRefund).where(PaymentRefund.external_id == refund_id))


def refunds_to_send() -> list[PaymentRefund]:
    """Refunds decided but never accepted by Stripe (it was down, or the process died)."""
    return list(
        _session().scalars(
            sa.select(PaymentRefund)
            .where(PaymentRefund.status == REQUESTED)
            .order_by(PaymentRefund.id)
        )
    )


def failed_refunds() -> list[PaymentRefund]:
    """Failed refunds that no later attempt has replaced yet."""
    retried = sa.select(PaymentRefund.retry_of_id).where(PaymentRefund.retry_of_id.is_not(None))
    return list(
        _session().scalars(
            sa.select(PaymentRefund)
            .where(PaymentRefund.status == "failed", PaymentRefund.id.not_in(retried))
            .order_by(PaymentRefund.id)
        )
    )


def committed_refunds(refunds: t.Iterable[PaymentRefund]) -> int:
    """Minor units of *refunds* (one payment's) given back or on their way back; failed
    ones do not count."""
    return sum(r.amount_cents for r in refunds if r.status in REFUND_OPEN)


def apply_refund_status(row: PaymentRefund, status: str, failure_reason: str | None) -> None:
    """Move *row* to *status* unless it is there already or knows a later one."""
    if status == row.status or REFUND_RANK.get(status, -1) < REFUND_RANK[row.status]:
        return
    row.status = status
    row.failure_reason = failure_reason


def settle_totals(payment: Payment) -> None:
    """Recompute what *payment* has given back from its refunds that settled."""
    settled = sum(r.amount_cents for r in refunds_of(payment) if r.status == "succeeded")
    payment.refunded_cents = min(settled, payment.amount_cents)
    if payment.status not in (PAID, PARTIALLY_REFUNDED, REFUNDED):
        return
    if payment.refunded_cents >= payment.amount_cents:
        payment.status = REFUNDED
    elif payment.refunded_cents > 0:
        payment.status = PARTIALLY_REFUNDED
    else:
        payment.status = PAID


@contextlib.contextmanager
def riding_on_next_commit(
    session: Session, contribute: Callable[[Session], None]
) -> Iterator[Callable[[], bool]]:
    """Add *contribute*'s writes to the next transaction *session* commits inside the block.

    The booking service opens and commits its own transaction, and a webhook's record must be
    committed or rolled back together with the change it caused, so it joins that
    transaction at commit time instead of taking one of its own. Whatever this session had
    read before is committed first, so the next commit is the service's. Yields a function
    telling whether the writes were committed.
    """
    session.commit()
    committed = False

    def before_commit(current: Session) -> None:
        if not committed:
            contribute(current)

    def after_commit(_current: Session) -> None:
        nonlocal committed
        committed = True

    sa.event.listen(session, "before_commit", before_commit)
    sa.event.listen(session, "after_commit", after_commit)
    try:
        yield lambda: committed
    finally:
        sa.event.remove(session, "before_commit", before_commit)
        sa.event.remove(session, "after_commit", after_commit)
