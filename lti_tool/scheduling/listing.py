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
    "SlotPage",
    "TutorSlot",
    "busy_by_tutor",
    "occupying",
    "subject_slot_page",
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
    rows = session.execute(_tutors_teaching(subject)).all()
    busy = busy_by_tutor(
        session, Booking.tutor_id.in_(_teaching(subject)), window_start, window_end, now
    )
    found: list[TutorSlot] = []
    for tutor, name, email in rows:
        duration = _length_for(tutor, duration_min)
        if duration is None:
            continue
        free = _free(tutor, busy.get(tutor.id, []), duration, window_start, window_end, now)
        who = (tutor.id, _shown_name(tutor, name, email), tutor.timezone, duration)
        found.extend(TutorSlot(*who, slot.start, slot.end) for slot in free)
    found.sort(key=operator.itemgetter(4, 0))  # start, then tutor
    return found


class SlotPage(t.NamedTuple):
    """One page of a subject's free slots: tutors in a stable order, a few slots each."""

    slots: list[TutorSlot]
    """Sorted by start, then tutor."""
    after_tutor_id: int | None
    """Where the next page starts (the last tutor this page looked at), or None at the end."""


def subject_slot_page(
    subject: Subject,
    window_start: dt.datetime,
    window_end: dt.datetime,
    duration_min: int | None,
    now: dt.datetime,
    *,
    after_tutor_id: int = 0,
    per_tutor: int,
    limit: int,
    scan_limit: int = 2000,
    session: Session | None = None,
) -> SlotPage:
    """The first *per_tutor* free slots of each tutor teaching *subject*, tutors taken in id
    order after *after_tutor_id*, as long as they fit in *limit* slots.

    The cost of a page does not grow with the number of tutors: tutors are read in batches
    from the cursor on, and the engine runs only for those. A tutor's slots are never split
    across pages. A page looks at no more than *scan_limit* tutors, so a run of tutors with no
    free time cannot make one request slow: the page may then come back short, or empty,
    with a cursor to go on from.
    """
    session = session or db.session()
    found: list[TutorSlot] = []
    cursor, scanned, full = after_tutor_id, 0, False
    batch = min(max(limit // max(per_tutor, 1) * 2, 16), 256)
    while len(found) < limit and scanned < scan_limit:
        rows = session.execute(
            _tutors_teaching(subject)
            .where(TutorProfile.id > cursor)
            .limit(min(batch, scan_limit - scanned))
        ).all()
        if not rows:
            found.sort(key=operator.itemgetter(4, 0))
            return SlotPage(found, None)
        ids = [tutor.id for tutor, _, _ in rows]
        busy = busy_by_tutor(session, Booking.tutor_id.in_(ids), window_start, window_end, now)
        for tutor, name, email in rows:
            duration = _length_for(tutor, duration_min)
            free = (
                []
                if duration is None
                else _free(tutor, busy.get(tutor.id, []), duration, window_start, window_end, now)
            )
            taken = free[: min(per_tutor, limit)]
            if len(found) + len(taken) > limit:
                full = True
                break  # this tutor opens the next page
            cursor, scanned = tutor.id, scanned + 1
            if duration is not None:
                who = (tutor.id, _shown_name(tutor, name, email), tutor.timezone, duration)
                found.extend(TutorSlot(*who, slot.start, slot.end) for slot in taken)
        if full:
            break
    found.sort(key=operator.itemgetter(4, 0))
    more = session.scalar(
        sa.select(TutorProfile.id)
        .where(
            TutorProfile.id.in_(_teaching(subject)),
            TutorProfile.is_active,
            TutorProfile.id > cursor,
        )
        .limit(1)
    )
    return SlotPage(found, cursor if more is not None else None)


def _teaching(subject: Subject) -> sa.Select[int]:
    return sa.select(TutorSubject.tutor_id).where(TutorSubject.subject_id == subject.id)


def _tutors_teaching(subject: Subject) -> sa.Select[TutorProfile, str, str | None]:
    """Active tutors of *subject* in id order, with their rules and exceptions."""
    return (
        sa.select(TutorProfile, User.name, User.email)
        .join(User, User.id == TutorProfile.user_id)
        .where(TutorProfile.id.in_(_teaching(subject)), TutorProfile.is_active)
        .options(
            selectinload(TutorProfile.rules),
            selectinload(TutorProfile.overrides),
            # The subjects list is not needed here and would cost a batch of queries.
            lazyload(TutorProfile.subjects),
        )
        .order_by(TutorProfile.id)
    )


def _shown_name(tutor: TutorProfile, name: str | None, email: str | None) -> str:
    return name or (email or "").split("@")[0] or f"User {tutor.user_id}"


def _length_for(tutor: TutorProfile, duration_min: int | None) -> int | None:
    """The session length to list for *tutor*: *duration_min* if offered, else None; with no
    length asked for, the tutor's shortest."""
    lengths = tutor.session_lengths or []
    if duration_min is None:
        return min(lengths) if lengths else None
    return duration_min if duration_min in lengths else None
