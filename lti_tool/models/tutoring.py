"""Subjects, tutors and when they are available.

Availability is kept as wall-clock times in the tutor's IANA zone and expanded per date, so a
rule of "Mondays 09:00-12:00" stays at 09:00 for the tutor across daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from sqlalchemy import JSON
from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from lti_tool import money
from lti_tool.models.base import Base
from lti_tool.models.base import TimestampMixin

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.models.users import User


class Subject(TimestampMixin, Base):
    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")


class TutorProfile(TimestampMixin, Base):
    __tablename__ = "tutor_profiles"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("interval_min > 0", name="interval_positive"),
        CheckConstraint("horizon_days > 0", name="horizon_positive"),
        CheckConstraint("min_notice_min >= 0", name="notice_not_negative"),
        CheckConstraint(
            "buffer_before_min >= 0 AND buffer_after_min >= 0", name="buffers_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    """Key of the tutor in the system they were imported from; re-imports update by it."""
    headline: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64))
    """IANA zone the tutor's availability rules are written in."""
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Language codes the tutor teaches in, e.g. ["en", "es"]."""
    price_cents: Mapped[int] = mapped_column(default=0)
    """Price of one hour in minor units of the site's currency; a session costs this pro rata
    for its length."""
    session_lengths: Mapped[list[int]] = mapped_column(JSON, default=lambda: [30, 60])
    interval_min: Mapped[int] = mapped_column(default=30)
    min_notice_min: Mapped[int] = mapped_column(default=12 * 60)
    horizon_days: Mapped[int] = mapped_column(default=60)
    buffer_before_min: Mapped[int] = mapped_column(default=0)
    buffer_after_min: Mapped[int] = mapped_column(default=10)
    max_per_day: Mapped[int | None] = mapped_column()
    is_active: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship(back_populates="tutor_profile")
    subjects: Mapped[list[TutorSubject]] = relationship(
        back_populates="tutor", cascade="all, delete-orphan", lazy="selectin"
    )
    rules: Mapped[list[AvailabilityRule]] = relationship(
        back_populates="tutor", cascade="all, delete-orphan", order_by="AvailabilityRule.weekday"
    )
    overrides: Mapped[list[AvailabilityOverride]] = relationship(
        back_populates="tutor", cascade="all, delete-orphan"
    )

    def booked_span(self, start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """A session widened by this tutor's buffers: what a booking keeps from others."""
        return (
            start - dt.timedelta(minutes=self.buffer_before_min),
            end + dt.timedelta(minutes=self.buffer_after_min),
        )

    def price_for(self, duration_min: int, currency: str) -> int:
        """The price of a session of *duration_min* in minor units of *currency*, rounded half
        up to its charge step: the one rounding rule every amount of the tool follows."""
        return money.pro_rata(self.price_cents, duration_min, currency)


class TutorSubject(Base):
    __tablename__ = "tutor_subjects"

    tutor_id: Mapped[int] = mapped_column(
        ForeignKey("tutor_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    level: Mapped[str] = mapped_column(String(40), default="all")
    tutor: Mapped[TutorProfile] = relationship(back_populates="subjects")
    subject: Mapped[Subject] = relationship(lazy="joined")


class AvailabilityRule(Base):
    """A weekly range, wall-clock in the tutor's zone. ``end_time`` 00:00 means midnight at
    the end of the day."""

    __tablename__ = "availability_rules"
    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tutor_id: Mapped[int] = mapped_column(
        ForeignKey("tutor_profiles.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column()
    """0 is Monday, 6 is Sunday."""
    start_time: Mapped[dt.time] = mapped_column()
    end_time: Mapped[dt.time] = mapped_column()
    tutor: Mapped[TutorProfile] = relationship(back_populates="rules")


class AvailabilityOverride(Base):
    """Extra hours on a date, or time off (whole days, or a span between two local times)."""

    __tablename__ = "availability_overrides"
    __table_args__ = (
        CheckConstraint("kind IN ('extra', 'blocked')", name="kind_known"),
        CheckConstraint("last_date >= first_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tutor_id: Mapped[int] = mapped_column(
        ForeignKey("tutor_profiles.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    first_date: Mapped[dt.date] = mapped_column()
    last_date: Mapped[dt.date] = mapped_column()
    start_time: Mapped[dt.time | None] = mapped_column()
    end_time: Mapped[dt.time | None] = mapped_column()
    note: Mapped[str] = mapped_column(String(200), default="")
    tutor: Mapped[TutorProfile] = relationship(back_populates="overrides")
