from __future__ import annotations

import datetime as dt
import zoneinfo

import pendulum
import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool import demo
from lti_tool.models import AuditEntry
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.testing import make_booking


def test_instants_read_back_as_the_same_utc_instant(app: Flask) -> None:
    tokyo = dt.datetime(2026, 3, 8, 16, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))
    entry = AuditEntry(entity_type="test", entity_id=1, action="x", at=tokyo)
    db.session.add(entry)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(AuditEntry, entry.id)
    assert stored is not None
    assert stored.at == tokyo
    assert stored.at.utcoffset() == dt.timedelta(0)
    assert stored.at.hour == 7
    # Comparisons in SQL use the same instants on both databases.
    later = pendulum.datetime(2026, 3, 8, 7, 31, tz="UTC")
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.at < later)) == 1


def test_naive_datetimes_are_refused(app: Flask) -> None:
    db.session.add(
        AuditEntry(entity_type="test", entity_id=1, action="x", at=dt.datetime(2026, 1, 1))
    )
    with pytest.raises(sa.exc.StatementError, match="aware"):
        db.session.commit()
    db.session.rollback()


def test_database_refuses_overlapping_bookings_of_one_tutor(app: Flask) -> None:
    demo.seed()
    tutor, other_tutor = db.session.scalars(sa.select(TutorProfile).limit(2)).all()
    learner = db.session.scalars(sa.select(User).where(User.tutor_profile == None)).first()  # noqa: E711
    assert learner is not None
    start = dt.datetime(2030, 1, 7, 10, tzinfo=dt.UTC)
    first = make_booking(tutor, learner, start)
    db.session.commit()

    with pytest.raises(sa.exc.IntegrityError):
        make_booking(tutor, learner, start + dt.timedelta(minutes=30), state=BookingState.HELD)
    db.session.rollback()

    # The buffer after a session is the tutor's too: a session starting as the first one ends
    # overlaps its span.
    assert tutor.buffer_after_min > 0
    with pytest.raises(sa.exc.IntegrityError):
        make_booking(tutor, learner, first.end_at, minutes=30)
    db.session.rollback()

    # Touching spans do not overlap; another tutor and a cancelled booking do not count.
    after_first = first.block_end + dt.timedelta(minutes=tutor.buffer_before_min)
    make_booking(tutor, learner, after_first, minutes=30)
    make_booking(other_tutor, learner, start)
    make_booking(tutor, learner, start, minutes=45, state=BookingState.CANCELLED)
    db.session.commit()

    # Reviving the cancelled booking into the taken time is refused too.
    cancelled = db.session.scalars(
        sa.select(Booking).where(Booking.state == BookingState.CANCELLED)
    ).one()
    cancelled.state = BookingState.CONFIRMED
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
