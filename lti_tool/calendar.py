"""iCalendar invites for one booking and a personal feed of all of a person's sessions.

Calendar programs match updates to the event they already hold by UID and keep the one with
the highest SEQUENCE, so the UID never changes for a booking and SEQUENCE comes from the
booking, which bumps it whenever the time or state changes.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from icalendar import Calendar
from icalendar import Event
from icalendar import vCalAddress
from sqlalchemy.orm import joinedload

from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db

PRODID = "-//lti-tool//Tutoring sessions//EN"
Method = t.Literal["REQUEST", "CANCEL"]
#: States shown in a feed; held and expired bookings never became real sessions.
FEED_STATES = (BookingState.CONFIRMED, BookingState.COMPLETED, BookingState.CANCELLED)
CANCELLED_STATES = (BookingState.CANCELLED, BookingState.EXPIRED)


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def room_url(booking: Booking) -> str:
    return f"{_base_url()}/rooms/{booking.id}"


def booking_uid(booking: Booking) -> str:
    return f"{booking.uid}@{urlsplit(_base_url()).hostname or 'localhost'}"


def _address(user: User, role: str) -> vCalAddress | None:
    if not user.email:
        return None
    address = vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = user.display_name
    if role != "ORGANIZER":
        address.params["role"] = role
        address.params["partstat"] = "ACCEPTED"
    return address


def _event(booking: Booking, cancelled: bool) -> Event:
    tutor = booking.tutor.user
    learner = booking.learner
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", dt.datetime.now(dt.UTC).replace(microsecond=0))
    event.add("dtstart", booking.start_at.astimezone(dt.UTC))
    event.add("dtend", booking.end_at.astimezone(dt.UTC))
    event.add(
        "summary",
        f"{booking.subject.name}: {tutor.display_name} and {learner.display_name}",
    )
    url = room_url(booking)
    event.add("url", url)
    event.add("description", f"Join the session room: {url}")
    event.add("location", url)
    if booking.state is BookingState.HELD and not cancelled:
        status = "TENTATIVE"
    else:
        status = "CANCELLED" if cancelled else "CONFIRMED"
    event.add("status", status)
    organizer = _address(tutor, "ORGANIZER")
    if organizer is not None:
        event.add("organizer", organizer)
    for person in (tutor, learner):
        attendee = _address(person, "REQ-PARTICIPANT")
        if attendee is not None:
            event.add("attendee", attendee)
    return event


def _calendar(method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def booking_invite(booking: Booking, method: Method = "REQUEST") -> bytes:
    """One booking as an invitation (``REQUEST``) or a cancellation (``CANCEL``)."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"method must be REQUEST or CANCEL, got {method!r}")
    calendar = _calendar(method)
    cancelled = method == "CANCEL" or booking.state in CANCELLED_STATES
    calendar.add_component(_event(booking, cancelled))
    return calendar.to_ical()


def user_bookings(user: User) -> list[Booking]:
    """The person's confirmed, completed and cancelled sessions, as tutor or as learner."""
    as_tutor = sa.select(TutorProfile.id).where(TutorProfile.user_id == user.id)
    query = (
        sa.select(Booking)
        .where(
            sa.or_(Booking.learner_id == user.id, Booking.tutor_id.in_(as_tutor)),
            Booking.state.in_(FEED_STATES),
        )
        .options(joinedload(Booking.tutor).joinedload(TutorProfile.user))
        .order_by(Booking.start_at)
    )
    return list(db.session.scalars(query).unique())


def user_feed(user: User) -> bytes:
    """A subscribable calendar of :func:`user_bookings`; cancelled ones stay, marked so."""
    calendar = _calendar()
    calendar.add("x-wr-calname", f"Tutoring: {user.display_name}")
    # Refresh hint for clients that honour it; feeds are polled, not pushed.
    calendar.add("x-published-ttl", "PT1H")
    for booking in user_bookings(user):
        calendar.add_component(_event(booking, booking.state in CANCELLED_STATES))
    return calendar.to_ical()


def feed_url(user: User) -> str:
    return f"{_base_url()}/calendar/{user.calendar_token}.ics"
