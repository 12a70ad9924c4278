"""What happened: the audit log, and payments with their refunds (the ledger every payment
provider writes and the core's pages read; a provider's own tables live in its plugin).

Every amount is an integer in the minor unit of its currency (see :mod:`lti_tool.money`),
whatever the ``_cents`` suffix of its name says.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from lti_tool.models.base import Base
from lti_tool.models.base import TimestampMixin
from lti_tool.models.base import UTCDateTime
from lti_tool.models.base import utcnow


class AuditEntry(Base):
    """One row per change of state; for a booking this is its history."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who caused it; None for the system (expiry, webhooks)."""
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class Payment(TimestampMixin, Base):
    """Money asked of a learner for a booking: one row per checkout, so a booking whose price
    changed while held has an older, ``superseded`` one beside the current one."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("provider", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(255))
    """The provider's id for the checkout (e.g. a Checkout Session id)."""
    payment_reference: Mapped[str | None] = mapped_column(String(255))
    """The provider's id for the captured money (e.g. a PaymentIntent id)."""
    status: Mapped[str] = mapped_column(String(20), default="pending")
    amount_cents: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    platform_fee_cents: Mapped[int] = mapped_column(default=0)
    """The platform's own share of the price."""
    processing_fee_cents: Mapped[int] = mapped_column(default=0)
    """What the tutor's share gives up to cover the payment processor's fee."""
    refunded_cents: Mapped[int] = mapped_column(default=0)
    """Refunds that have settled; pending ones are in :class:`PaymentRefund` only."""
    checkout_url: Mapped[str | None] = mapped_column(Text)


class PaymentRefund(TimestampMixin, Base):
    """One attempt to give money back, followed until the provider says it settled or failed.

    The row is written before the provider is asked, with the idempotency key the request
    will carry, so a crash between the two is finished by sending the same request again. A
    failed refund is retried as a new row pointing at the one it replaces.
    """

    __tablename__ = "payment_refunds"
    __table_args__ = (UniqueConstraint("request_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    """The provider's refund id, once it answered."""
    request_key: Mapped[str] = mapped_column(String(255))
    amount_cents: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="requested")
    """``requested`` (not yet accepted), ``pending``, ``requires_action``, ``succeeded``,
    ``failed`` or ``canceled``."""
    failure_reason: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text, default="")
    attempt: Mapped[int] = mapped_column(default=1)
    retry_of_id: Mapped[int | None] = mapped_column(ForeignKey("payment_refunds.id"))
