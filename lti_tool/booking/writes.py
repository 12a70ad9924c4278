"""The writing steps the booking service combines inside one transaction: row locks, hold
expiry, a new booking's row, state changes with their audit row, and turning the overlap guard
into SlotTaken."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.booking.announce import Announcement
from lti_tool.booking.announce import Detail
from lti_tool.booking.clock import iso
from lti_tool.booking.errors import SlotTaken
from lti_tool.models import AuditEntry
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Course
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import User

#: How the overlap guard names itself: the PostgreSQL constraint, the SQLite trigger's message.
_OVERLAP_MARKERS = ("ex_bookings_tutor_no_overlap", "overlaps another booking")
#: SQLSTATEs after which the whole transaction may simply run again.
_TRANSIENT = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


def lock_tutor(session: Session, tutor: TutorProfile) -> None:
    """Queue behind any other booking change for this tutor, then read the tutor afresh."""
    # FOR UPDATE renders as nothing on SQLite, whose write lock is already held here.
    session.execute(sa.select(TutorProfile.id).where(TutorProfile.id == tutor.id).with_for_update())
    session.refresh(tutor)


def lock_learner(session: Session, learner: User) -> None:
    """Queue behind any other booking by this learner. Taken before the tutor's lock, always,
    so two bookings never wait on each other's locks in opposite orders."""
    session.execute(sa.select(User.id).where(User.id == learner.id).with_for_update())


def held_by(session: Session, learner: User, now: dt.datetime) -> int:
    """How many unpaid holds *learner* has that have not run out by *now*."""
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(
            Booking.learner_id == learner.id,
            Booking.state == BookingState.HELD,
            Booking.hold_expires_at > now,
        )
    )
    return int(count or 0)


def new_booking(
    tutor: TutorProfile,
    learner: User,
    subject: Subject,
    start: dt.datetime,
    duration_min: int,
    currency: str,
    course: Course | None = None,
) -> Booking:
    """A booking of *duration_min* from *start*, not yet added to a session and with no state:
    the time it keeps from the tutor's other bookings is the session widened by the tutor's
    buffers, and its price is the tutor's for its length in *currency*.

    The tests' bookings are made here too (``lti_tool.testing.make_booking``), so that they
    take the same time and cost the same as the service's.
    """
    end = start + dt.timedelta(minutes=duration_min)
    block_start, block_end = tutor.booked_span(start, end)
    return Booking(
        tutor=tutor,
        learner=learner,
        subject=subject,
        course=course,
        start_at=start,
        end_at=end,
        block_start=block_start,
        block_end=block_end,
        price_cents=tutor.price_for(duration_min, currency),
        currency=currency,
    )


def lock_booking(session: Session, booking: Booking) -> None:
    session.execute(sa.select(Booking.id).where(Booking.id == booking.id).with_for_update())
    session.refresh(booking)


def expire_holds(
    session: Session, now: dt.datetime, where: sa.ColumnElement[bool]
) -> list[Announcement]:
    """Mark held bookings matching *where* whose hold ran out by *now* as ``expired``."""
    # Locking in id order keeps two expiring transactions from deadlocking each other.
    ids = session.scalars(
        sa.select(Booking.id)
        .where(where, Booking.state == BookingState.HELD, Booking.hold_expires_at <= now)
        .order_by(Booking.id)
        .with_for_update()
    ).all()
    if not ids:
        return []
    expiring = session.scalars(
        sa.select(Booking)
        .where(Booking.id.in_(ids))
        .order_by(Booking.id)
        .execution_options(populate_existing=True)
    ).all()
    news: list[Announcement] = []
    for booking in expiring:
        detail: Detail = {"hold_expires_at": iso(booking.hold_expires_at)}
        booking.state = BookingState.EXPIRED
        audit(session, booking, "expired", BookingState.HELD.value, None, detail, now)
        news.append(("expired", booking, detail))
    session.flush()
    return news


def set_state(
    session: Session,
    booking: Booking,
    to: BookingState,
    event: str,
    by: User | None,
    detail: Detail,
    now: dt.datetime,
) -> None:
    before = booking.state.value
    booking.state = to
    flush(session)
    audit(session, booking, event, before, by, detail, now)


def audit(
    session: Session,
    booking: Booking,
    action: str,
    from_state: str | None,
    by: User | None,
    detail: Detail,
    now: dt.datetime,
) -> None:
    """One history row; ``to_state`` is the booking's state as it is now."""
    session.add(
        AuditEntry(
            at=now,
            actor_id=by.id if by is not None else None,
            entity_type="booking",
            entity_id=booking.id,
            action=action,
            from_state=from_state,
            to_state=booking.state.value,
            detail=detail,
        )
    )


def flush(session: Session) -> None:
    """Flush, turning a refusal by the overlap guard into :class:`SlotTaken`."""
    try:
        session.flush()
    except IntegrityError as exc:
        if any(marker in str(exc.orig) for marker in _OVERLAP_MARKERS):
            raise SlotTaken("That time is no longer free; pick another slot.") from exc
        raise


def is_transient(exc: sa.exc.DBAPIError) -> bool:
    """The database gave up on the transaction to break a deadlock or keep it serializable."""
    return getattr(exc.orig, "sqlstate", None) in _TRANSIENT
