"""Reading and writing the payment records: ``Payment`` rows and processed webhook events."""

from __future__ import annotations

import contextlib
import typing as t
from collections.abc import Callable
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lti_tool.models import Booking
from lti_tool.models import Payment
from lti_tool.models import WebhookEvent
from lti_tool.models import db

PROVIDER = "stripe"

PENDING = "pending"
PAID = "paid"
EXPIRED = "expired"
REFUNDED = "refunded"
PARTIALLY_REFUNDED = "partially_refunded"
#: Statuses of a payment whose money is (at least partly) still with us.
HOLDING_MONEY = (PAID, PARTIALLY_REFUNDED)


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


def latest_payment(booking: Booking, statuses: t.Collection[str]) -> Payment | None:
    """The booking's most recent payment in one of *statuses*."""
    return _session().scalar(
        sa.select(Payment)
        .where(
            Payment.provider == PROVIDER,
            Payment.booking_id == booking.id,
            Payment.status.in_(statuses),
        )
        .order_by(Payment.id.desc())
        .limit(1)
    )


def event_seen(event_id: str) -> bool:
    found = _session().scalar(
        sa.select(WebhookEvent.id).where(
            WebhookEvent.provider == PROVIDER, WebhookEvent.event_id == event_id
        )
    )
    return found is not None


def event_row(event_id: str, event_type: str) -> WebhookEvent:
    return WebhookEvent(provider=PROVIDER, event_id=event_id, event_type=event_type)


def record_refund(payment: Payment, refunded_total: int) -> None:
    """Note that *refunded_total* cents of *payment* have been returned so far.

    Stripe reports totals, and the larger one is the later truth, so applying the same or an
    older report again changes nothing.
    """
    payment.refunded_cents = max(payment.refunded_cents, min(refunded_total, payment.amount_cents))
    if payment.refunded_cents >= payment.amount_cents:
        payment.status = REFUNDED
    elif payment.refunded_cents > 0:
        payment.status = PARTIALLY_REFUNDED


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
