"""The site's own table: failed sign-in attempts, for the login rate limit.

Rows carry a keyed digest of the e-mail address or client address, never the value itself, so
the table says nothing about who tried to sign in from where.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from lti_tool.models import Base
from lti_tool.models import UTCDateTime
from lti_tool.models import utcnow


class LoginAttempt(Base):
    """One failed sign-in, counted against the account and against the client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key_digest", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_digest: Mapped[str] = mapped_column(String(64))
    """HMAC-SHA256 (hex) of ``account:<email>`` or ``ip:<address>`` under the app secret."""
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
