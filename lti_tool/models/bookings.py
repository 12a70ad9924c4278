"""Bookings, and the database rule that keeps one tutor's bookings apart.

The rule lives in the database so that it holds under any concurrency: on PostgreSQL an
exclusion constraint over the tutor and the booked span, on SQLite a trigger that runs inside
SQLite's single writer lock. The span compared is ``block_start``-``block_end``: the session
widened by the tutor's buffers as they were when it was booked.
"""

from __future__ import annotations

import datetime as dt
import enum
import typing as t
import uuid

from sqlalchemy import DDL
from sqlalchemy import CheckConstraint
from sqlalchemy import Enum
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from lti_tool.models.base import Base
from lti_tool.models.base import TimestampMixin
from lti_tool.models.base import UTCDateTime

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.models.lti import Course
    from lti_tool.models.tutoring import Subject
    from lti_tool.models.tutoring import TutorProfile
    from lti_tool.models.users import User


class BookingState(enum.StrEnum):
    HELD = "held"
    """Waiting for payment; frees its slot at ``hold_expires_at``."""
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    NO_SHOW = "no_show"


#: States whose time is taken. A held booking past its expiry still counts here until it is
#: moved to ``expired``; the booking service does that before it writes.
OCCUPYING_STATES = (
    BookingState.HELD,
    BookingState.CONFIRMED,
    BookingState.COMPLETED,
    BookingState.NO_SHOW,
)
OCCUPYING_SQL = ", ".join(f"'{state.value}'" for state in OCCUPYING_STATES)


def _new_uid() -> str:
    return uuid.uuid4().hex


class Booking(TimestampMixin, Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        CheckConstraint("block_start <= start_at AND block_end >= end_at", name="block_covers"),
        Index("ix_bookings_tutor_span", "tutor_id", "block_start", "block_end"),
        ExcludeConstraint(
            ("tutor_id", "="),
            (func.tstzrange(text("block_start"), text("block_end")), "&&"),
            name="ex_bookings_tutor_no_overlap",
            using="gist",
            where=text(f"state IN ({OCCUPYING_SQL})"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True, default=_new_uid)
    """Stable identifier for calendar invites and payment references."""
    tutor_id: Mapped[int] = mapped_column(ForeignKey("tutor_profiles.id"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    """The LMS course the learner booked from, for gradebook passback."""
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    block_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    block_end: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    state: Mapped[BookingState] = mapped_column(
        Enum(
            BookingState,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=BookingState.HELD,
        index=True,
    )
    hold_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    price_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    sequence: Mapped[int] = mapped_column(default=0)
    """iCalendar SEQUENCE: bumped whenever the invite changes."""
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    tutor: Mapped[TutorProfile] = relationship(lazy="joined")
    learner: Mapped[User] = relationship(foreign_keys=[learner_id], lazy="joined")
    subject: Mapped[Subject] = relationship(lazy="joined")
    course: Mapped[Course | None] = relationship()

    @property
    def duration_min(self) -> int:
        return int((self.end_at - self.start_at).total_seconds() // 60)


_SQLITE_OVERLAP_CHECK = f"""
    SELECT RAISE(ABORT, 'booking overlaps another booking of this tutor')
    WHERE EXISTS (
        SELECT 1 FROM bookings AS other
        WHERE other.tutor_id = NEW.tutor_id
          AND other.id IS NOT NEW.id
          AND other.state IN ({OCCUPYING_SQL})
          AND other.block_start < NEW.block_end
          AND NEW.block_start < other.block_end
    );
"""
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS bookings_no_overlap_insert BEFORE INSERT ON bookings
    WHEN NEW.state IN ({OCCUPYING_SQL})
    BEGIN {_SQLITE_OVERLAP_CHECK} END""",
    f"""CREATE TRIGGER IF NOT EXISTS bookings_no_overlap_update
    BEFORE UPDATE OF tutor_id, block_start, block_end, state ON bookings
    WHEN NEW.state IN ({OCCUPYING_SQL})
    BEGIN {_SQLITE_OVERLAP_CHECK} END""",
)
POSTGRES_EXTENSIONS = ("CREATE EXTENSION IF NOT EXISTS btree_gist",)

for _statement in SQLITE_TRIGGERS:
    event.listen(Booking.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_EXTENSIONS:
    event.listen(
        Booking.__table__, "before_create", DDL(_statement).execute_if(dialect="postgresql")
    )


class Review(TimestampMixin, Base):
    """A learner's rating of a completed session; one per booking."""

    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    tutor_id: Mapped[int] = mapped_column(ForeignKey("tutor_profiles.id"), index=True)
    rating: Mapped[int] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
