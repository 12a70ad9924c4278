"""The payment plugin's own tables: tutors' payout accounts and the provider events already
handled. Their revisions are the ``payment`` branch in ``migrations/``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from lti_tool.api import Base
from lti_tool.api import TimestampMixin
from lti_tool.api import UTCDateTime
from lti_tool.api import utcnow


class PayoutAccount(TimestampMixin, Base):
    """A tutor's account with a payment provider, and whether it can receive money yet."""

    __tablename__ = "payout_accounts"
    __table_args__ = (UniqueConstraint("provider", "tutor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    tutor_id: Mapped[int] = mapped_column(ForeignKey("tutor_profiles.id", ondelete="CASCADE"))
    request_key: Mapped[str] = mapped_column(String(64))
    """Random, so creating the account is idempotent across retries yet never collides with
    another site (or this one after a database reset) sharing the provider account."""
    account_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payable: Mapped[bool] = mapped_column(default=False)
    """The provider accepts this account as the destination of a payment."""
    disabled_reason: Mapped[str | None] = mapped_column(String(120))


class WebhookEvent(Base):
    """Provider events already processed, so a redelivery changes nothing."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
