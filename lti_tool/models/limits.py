"""Counted requests, for the rate limits while Redis is not configured or not reachable.

Rows carry a keyed digest of what was counted (a client address, a user, an e-mail address),
never the value itself, so the table says nothing about who did what from where.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from lti_tool.models.base import Base
from lti_tool.models.base import UTCDateTime


class RateCount(Base):
    """One counted request under one key of a rate limit (see :mod:`lti_tool.rate_limits`)."""

    __tablename__ = "rate_counts"
    __table_args__ = (Index("ix_rate_counts_key_at", "key_digest", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_digest: Mapped[str] = mapped_column(String(64))
    """HMAC-SHA256 (hex) of the key, such as ``booking:user:12``, under the app secret."""
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    """When the row stops counting under its key's window; limits with different windows share
    the table, so each row says for itself when it may be deleted."""
