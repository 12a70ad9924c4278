"""What happened: the audit log, payments, webhook deliveries and room chat."""

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
    refunded_cents: Mapped[int] = mapped_column(default=0)
    checkout_url: Mapped[str | None] = mapped_column(Text)


class WebhookEvent(Base):
    """Provider events already processed, so a redelivery changes nothing."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChatMessage(Base):
    """A chat line in a booking's room. ``client_message_id`` makes resending harmless."""

    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("booking_id", "sender_id", "client_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_message_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
