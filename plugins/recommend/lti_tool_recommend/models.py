"""The recommend plugin's own table: learner-tutor history imported from elsewhere. Its
revisions are the ``recommend`` branch in ``migrations/``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from lti_tool.api import Base
from lti_tool.api import UTCDateTime
from lti_tool.api import utcnow


class Interaction(Base):
    """A weighted learner-tutor signal brought in from another platform's history.

    Bookings, ratings and favourites made here are read from their own tables; this table
    holds what was imported.
    """

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_pair", "user_id", "tutor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tutor_id: Mapped[int] = mapped_column(ForeignKey("tutor_profiles.id", ondelete="CASCADE"))
    weight: Mapped[float] = mapped_column(default=1.0)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(40), default="import")
