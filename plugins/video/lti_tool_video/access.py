"""Who may be in a booking's room, and when; the room's own facts kept in the audit log.

A room is open from ``open_before_min`` before the booking starts until ``close_after_min``
after it ends, to the booking's tutor and learner and to admins. Recording consent and the
end of a session are rows of the core's audit log (entity ``video_room``, the booking's id),
so the plugin needs no table of its own and every process sees the same facts.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa

from lti_tool.api import AuditEntry
from lti_tool.api import Booking
from lti_tool.api import BookingState
from lti_tool.api import RoleName
from lti_tool.api import User
from lti_tool.api import db
from lti_tool_video.settings import Settings

ENTITY = "video_room"
CONSENT = "recording_consent"
ENDED = "session_ended"
ROOM_STATES = frozenset({BookingState.CONFIRMED, BookingState.COMPLETED})


class Refused(Exception):
    """This person or process may not be in the room now; the message says why."""


def role_of(booking: Booking, user: User) -> str | None:
    if user.id == booking.tutor.user_id:
        return "tutor"
    if user.id == booking.learner_id:
        return "learner"
    if user.has_role(RoleName.ADMIN):
        return "admin"
    return None


def window(booking: Booking, settings: Settings) -> tuple[dt.datetime, dt.datetime]:
    opens = booking.start_at - dt.timedelta(minutes=settings.open_before_min)
    closes = booking.end_at + dt.timedelta(minutes=settings.close_after_min)
    return opens, closes


def check_open(booking: Booking | None, settings: Settings, now: dt.datetime) -> Booking:
    """The booking, if its room is open now.

    :raises Refused: the booking is gone, not confirmed, ended, or outside its window.
    """
    if booking is None:
        raise Refused("no such booking")
    if booking.state not in ROOM_STATES:
        raise Refused(f"the booking is {booking.state.value}")
    opens, closes = window(booking, settings)
    if now < opens:
        raise Refused(f"the room opens at {opens.isoformat()}")
    if now > closes:
        raise Refused("the room has closed")
    if is_ended(booking.id):
        raise Refused("the session has ended")
    return booking


def check_person(
    booking: Booking | None, user: User | None, settings: Settings, now: dt.datetime
) -> str:
    """The role *user* has in the open room of *booking*.

    :raises Refused: with the reason.
    """
    if user is None or not user.is_active:
        raise Refused("sign in first")
    if booking is None or (role := role_of(booking, user)) is None:
        # The same answer for a stranger as for a missing booking: nothing is revealed.
        raise Refused("not a participant of this booking")
    check_open(booking, settings, now)
    return role


def fingerprint(booking_id: int, user_id: int | None) -> tuple[t.Any, ...] | None:
    """What changes whenever the verdict of :func:`check_person` could change, in one query.

    A booking's state and times move its ``updated_at``; the end of the session and consent
    are new rows of the room's audit log; a deactivated person moves theirs. ``None``: the
    booking is gone.
    """
    latest_room_row = (
        sa.select(sa.func.max(AuditEntry.id))
        .where(AuditEntry.entity_type == ENTITY, AuditEntry.entity_id == booking_id)
        .scalar_subquery()
    )
    person = sa.select(User.updated_at).where(User.id == user_id).scalar_subquery()
    row = db.session.execute(
        sa.select(Booking.state, Booking.updated_at, latest_room_row, person).where(
            Booking.id == booking_id
        )
    ).first()
    return None if row is None else tuple(row)


def _room_rows(booking_id: int, action: str) -> t.Sequence[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.entity_type == ENTITY,
            AuditEntry.entity_id == booking_id,
            AuditEntry.action == action,
        )
        .order_by(AuditEntry.id)
    ).all()


def is_ended(booking_id: int) -> bool:
    return bool(_room_rows(booking_id, ENDED))


def mark_ended(booking: Booking, user: User | None) -> None:
    db.session.add(
        AuditEntry(
            actor_id=user.id if user else None,
            entity_type=ENTITY,
            entity_id=booking.id,
            action=ENDED,
        )
    )
    db.session.commit()


def consent(booking: Booking) -> dict[str, bool]:
    """Whether the tutor and the learner each agreed to recording, by their latest word."""
    said: dict[int, bool] = {}
    for row in _room_rows(booking.id, CONSENT):
        if row.actor_id is not None:
            said[row.actor_id] = bool(row.detail.get("granted"))
    return {
        "tutor": said.get(booking.tutor.user_id, False),
        "learner": said.get(booking.learner_id, False),
    }


def record_consent(booking: Booking, user: User, granted: bool) -> dict[str, bool]:
    db.session.add(
        AuditEntry(
            actor_id=user.id,
            entity_type=ENTITY,
            entity_id=booking.id,
            action=CONSENT,
            detail={"granted": granted},
        )
    )
    db.session.commit()
    return consent(booking)


def recording_allowed(booking: Booking, settings: Settings) -> bool:
    agreed = consent(booking)
    return settings.recording and agreed["tutor"] and agreed["learner"]
