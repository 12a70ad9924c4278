"""Free slots from the database: tutors' rules, date exceptions and bookings fed to the engine.

A subject listing loads everything for all its tutors in a fixed number of queries (tutors,
their rules and exceptions in batches, one for bookings) and then runs the pure engine per
tutor. A held booking whose hold has run out counts as free here even before the booking
service has marked it ``expired``.
"""

from __future__ import annotations

import datetime as dt
import operator
import typing as t
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm import lazyload
from sqlalchemy.orm import selectinload

from lti_tool.models import OCCUPYING_STATES
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.scheduling.slots import Busy
from lti_tool.scheduling.slots import Slot
from lti_tool.scheduling.slots import free_slots
from lti_tool.tutors.settings import policy_for
from lti_tool.tutors.settings import slot_inputs

__all__ = [
    "TutorSlot",
    "busy_by_tutor",
    "occupying",
    "subject_slots",
    "tutor_slots",
]

#: Bookings this far outside the window are loaded as well. A tutor-local day reaches up to
#: 14 hours past a UTC day and ``max_per_day`` counts whole local days; buffers add up to 12
#: hours more. Two days cover both.
MARGIN = dt.timedelta(days=2)


class TutorSlot(t.NamedTuple):
    """A free slot of one tutor, with what a listing needs to show who it is with.

    A named tuple because a subject listing builds hundreds of thousands of them.
    """

    tutor_id: int
    tutor_name: str
    tutor_timezone: str
    duration_min: int
    start: dt.datetime
    end: dt.datetime


def occupying(now: dt.datetime) -> sa.ColumnElement[bool]:
    """Bookings whose time is taken at *now*: an expired hold no longer counts."""
    return sa.and_(
        Booking.state.in_(OCCUPYING_STATES),
        sa.or_(
            Booking.state != BookingState.HELD,
            Booking.hold_expires_at.is_(None),
            Booking.hold_expires_at > now,
        ),
    )


def busy_by_tutor(
    session: Session,
    tutor_filter: sa.ColumnElement[bool],
    window_start: dt.datetime,
    window_end: dt.datetime,
    now: dt.datetime,
    exclude_booking_id: int | None = None,
) -> dict[int, list[Busy]]:
    """Stored spans (``block_start``-``block_end``) of occupying bookings near the window."""
    query = sa.select(
        Booking.tutor_id, Booking.block_start, Booking.block_end, Booking.start_at
    ).where(
        tutor_filter,
        occupying(now),
        Booking.block_start < window_end + MARGIN,
        Booking.block_end > window_start - MARGIN,
    )
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    busy: dict[int, list[Busy]] = defaultdict(list)
    for tutor_id, start, end, session_start in session.execute(query):
        busy[tutor_id].append(Busy(start=start, end=end, session_start=session_start))
    return busy


def _free(
    tutor: TutorProfile,
    busy: list[Busy],
    duration_min: int,
    window_start: dt.datetime,
    window_end: dt.datetime,
    now: dt.datetime,
) -> list[Slot]:
    rules, overrides = slot_inputs(tutor)
    if not rules and not any(o.kind == "extra" for o in overrides):
        return []
    policy = policy_for(tutor, duration_min)
    return free_slots(tutor.timezone, rules, overrides, busy, policy, window_start, window_end, now)


def tutor_slots(
    tutor: TutorProfile,
    window_start: dt.datetime,
    window_end: dt.datetime,
    duration_min: int,
    now: dt.datetime,
    *,
    session: Session | None = None,
    exclude_booking_id: int | None = None,
) -> list[Slot]:
    """Free slots of *tutor* starting in ``[window_start, window_end)``, sorted.

    :param exclude_booking_id: leave this booking out of the busy time, so a booking being
        moved does not stand in its own way.
    :raises ValueError: *duration_min* is not one of the tutor's session lengths.
    """
    if duration_min not in tutor.session_lengths:
        policy_for(tutor, duration_min)  # raises with the tutor's lengths in the message
    if not tutor.is_active:
        return []
    session = session or db.session()
    busy = busy_by_tutor(
        session, Booking.tutor_id == tutor.id, window_start, window_end, now, exclude_booking_id
    )
    return _free(tutor, busy.get(tutor.id, []), duration_min, window_start, window_end, now)


def subject_slots(
    subject: Subject,
    window_start: dt.datetime,
    window_end: dt.datetime,
    duration_min: int | None,
    now: dt.datetime,
    *,
    session: Session | None = None,
) -> list[TutorSlot]:
    """Free slots of every active tutor teaching *subject*, sorted by start, then tutor.

    :param duration_min: session length; tutors who do not offer it are left out. ``None``
        lists each tutor's shortest length.
    """
    session = session or db.session()
    teaching = sa.select(TutorSubject.tutor_id).where(TutorSubject.subject_id == subject.id)
    rows = session.execute(
        sa.select(TutorProfile, User.name, User.email)
        .join(User, User.id == TutorProfile.user_id)
        .where(TutorProfile.id.in_(teaching), TutorProfile.is_active)
        .options(
            selectinload(TutorProfile.rules),
            selectinload(TutorProfile.overrides),
            # The subjects list is not needed here and would cost a batch of queries.
            lazyload(TutorProfile.subjects),
        )
        .order_by(TutorProfile.id)
    ).all()
    busy = busy_by_tutor(session, Booking.tutor_id.in_(teaching), window_start, window_end, now)
    found: list[TutorSlot] = []
    for tutor, name, email in rows:
        lengths = tutor.session_lengths or []
        if duration_min is None:
            if not lengths:
                continue
            duration = min(lengths)
        elif duration_min in lengths:
            duration = duration_min
        else:
            continue
        display = name or (email or "").split("@")[0] or f"User {tutor.user_id}"
        free = _free(tutor, busy.get(tutor.id, []), duration, window_start, window_end, now)
        who = (tutor.id, display, tutor.timezone, duration)
        found.extend(TutorSlot(*who, slot.start, slot.end) for slot in free)
    found.sort(key=operator.itemgetter(4, 0))  # start, then tutor
    return found
