"""The booking rules that do not write: what may be booked, by whom, and until when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy.orm import Session

from lti_tool.booking.errors import InvalidBooking
from lti_tool.booking.errors import InvalidTransition
from lti_tool.booking.errors import NotAllowed
from lti_tool.booking.errors import SlotNotOffered
from lti_tool.booking.errors import SlotTaken
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.scheduling.listing import tutor_slots
from lti_tool.scheduling.slots import free_slots
from lti_tool.tutors.settings import policy_for
from lti_tool.tutors.settings import slot_inputs


def check_offer(learner: User, tutor: TutorProfile, subject: Subject, duration_min: int) -> None:
    """The tutor takes bookings, teaches *subject* and offers *duration_min*."""
    if not tutor.is_active:
        raise InvalidBooking("This tutor is not taking bookings.")
    if learner.id == tutor.user_id:
        raise InvalidBooking("Tutors cannot book a session with themselves.")
    if subject.id not in {link.subject_id for link in tutor.subjects}:
        raise InvalidBooking(f"This tutor does not teach {subject.name}.")
    check_length(tutor, duration_min)


def check_length(tutor: TutorProfile, duration_min: int) -> None:
    if duration_min not in tutor.session_lengths:
        offered = ", ".join(str(n) for n in sorted(tutor.session_lengths))
        raise InvalidBooking(
            f"This tutor offers sessions of {offered} minutes, not {duration_min}."
        )


def check_slot(
    session: Session,
    tutor: TutorProfile,
    start: dt.datetime,
    duration_min: int,
    now: dt.datetime,
    exclude_booking_id: int | None = None,
) -> None:
    """*start* is one of the tutor's free slots at *now*, by the slot engine.

    :raises SlotTaken: it would be offered but for other bookings.
    :raises SlotNotOffered: it is not offered even on an empty calendar.
    """
    if not tutor.is_active:
        raise InvalidBooking("This tutor is not taking bookings.")
    window_end = start + dt.timedelta(minutes=1)
    try:
        slots = tutor_slots(
            tutor,
            start,
            window_end,
            duration_min,
            now,
            session=session,
            exclude_booking_id=exclude_booking_id,
        )
        if any(slot.start == start for slot in slots):
            return
        # Ask again without bookings: "someone else has it" is worth another try at a
        # different time, "never offered" is a mistake in the request.
        rules, overrides = slot_inputs(tutor)
        policy = policy_for(tutor, duration_min)
    except ValueError as exc:
        raise InvalidBooking(str(exc)) from None
    unbooked = free_slots(tutor.timezone, rules, overrides, [], policy, start, window_end, now)
    if any(slot.start == start for slot in unbooked):
        raise SlotTaken("That time is no longer free; pick another slot.")
    raise SlotNotOffered(
        "The tutor does not offer that start time (outside their hours, too soon, too far "
        "ahead, or not on their slot grid)."
    )


def role_in(booking: Booking, by: User | None) -> str:
    """``tutor``, ``admin``, ``learner`` or ``system`` (*by* None), in that precedence.

    :raises NotAllowed: *by* takes no part in the booking.
    """
    if by is None:
        return "system"
    if by.id == booking.tutor.user_id:
        return "tutor"
    if by.has_role(RoleName.ADMIN):
        return "admin"
    if by.id == booking.learner_id:
        return "learner"
    raise NotAllowed("Only the learner, the tutor or an admin can change this booking.")


def before_cutoff(booking: Booking, now: dt.datetime, cutoff: dt.timedelta) -> bool:
    # Holds are unpaid, so the cut-off that protects the tutor's time does not apply.
    return booking.state == BookingState.HELD or now <= booking.start_at - cutoff


def require_state(booking: Booking, allowed: Collection[BookingState], event: str) -> None:
    if booking.state not in allowed:
        raise InvalidTransition(f"This booking is {booking.state.value}; it cannot be {event}.")


def require_future(booking: Booking, now: dt.datetime, event: str) -> None:
    # A session that has begun is settled by complete or no-show, not changed.
    if now >= booking.start_at:
        raise InvalidTransition(f"The session has already started; it cannot be {event}.")
