"""E-mail reminders, a day and an hour before a session, to both people, with the invite.

Every minute a worker looks for confirmed sessions whose reminder time has come and asks for
one job per person and reminder, keyed ``reminder:<kind>:<booking>:<person>``: two workers
looking at the same minute ask for the same keys, and a key exists once, so each reminder is
sent once. A session booked after a reminder's time (an hour before, for the day-before one)
does not get that reminder; a session cancelled or moved before its job runs gets none, and a
moved one is reminded of its new time.

A worker that was down for a while catches up on reminders whose time came during the last
:data:`CATCH_UP`; older ones are no longer worth sending.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import pendulum
import sqlalchemy as sa
from flask import Flask

from lti_tool.booking.clock import current_time
from lti_tool.calendar import booking_invite
from lti_tool.calendar import room_url
from lti_tool.database import write_transaction
from lti_tool.jobs import enqueue
from lti_tool.jobs import job
from lti_tool.jobs.queue import every_minute
from lti_tool.mail import Attachment
from lti_tool.mail import send_mail
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Job
from lti_tool.models import User
from lti_tool.models import db

#: Each reminder and how long before the session it goes out.
AHEAD: t.Mapping[str, dt.timedelta] = {
    "day": dt.timedelta(hours=24),
    "hour": dt.timedelta(hours=1),
}
CATCH_UP = dt.timedelta(hours=2)


def key(kind: str, booking_id: int, user_id: int) -> str:
    return f"reminder:{kind}:{booking_id}:{user_id}"


def ask_for_due_reminders(now: dt.datetime) -> int:
    """Ask for the reminders whose time has come; :returns: how many jobs were added."""
    added = 0
    for kind, ahead in AHEAD.items():
        # Due when start - ahead <= now, not older than the catch-up, session still ahead.
        learner_key = (
            sa.literal(f"reminder:{kind}:")
            + sa.cast(Booking.id, sa.String)
            + sa.literal(":")
            + sa.cast(Booking.learner_id, sa.String)
        )
        due = db.session.scalars(
            sa.select(Booking.id)
            .where(
                Booking.state == BookingState.CONFIRMED,
                Booking.start_at > now,
                Booking.start_at <= now + ahead,
                Booking.start_at > now + ahead - CATCH_UP,
                ~sa.exists().where(Job.key == learner_key),
            )
            .order_by(Booking.start_at)
        ).all()
        db.session.rollback()
        for booking_id in due:
            with write_transaction() as session:
                booking = session.get(Booking, booking_id)
                if booking is None or booking.created_at > booking.start_at - ahead:
                    continue
                for person in (booking.learner, booking.tutor.user):
                    made = enqueue(
                        "reminders.send",
                        key=key(kind, booking.id, person.id),
                        session=session,
                        booking_id=booking.id,
                        user_id=person.id,
                        kind=kind,
                        start=booking.start_at.isoformat(),
                    )
                    added += made is not None
    return added


@job("reminders.send", max_attempts=6)
def send_reminder(booking_id: int, user_id: int, kind: str, start: str) -> None:
    booking = db.session.get(Booking, booking_id)
    person = db.session.get(User, user_id)
    if booking is None or person is None or not person.email:
        return
    if booking.state != BookingState.CONFIRMED or booking.start_at.isoformat() != start:
        return  # cancelled or moved since; a moved session has reminders of its own
    if booking.start_at <= current_time():
        return
    other = booking.tutor.user if person.id == booking.learner_id else booking.learner
    zone = person.timezone or (
        booking.tutor.timezone if person.id == booking.tutor.user_id else "UTC"
    )
    local = pendulum.instance(booking.start_at).in_timezone(zone)
    when = "tomorrow" if kind == "day" else "in one hour"
    subject = f"Reminder: {booking.subject.name} with {other.display_name} {when}"
    body = (
        f"Hello {person.display_name},\n\n"
        f"Your {booking.subject.name} session with {other.display_name} starts {when}, "
        f"{local.format('dddd D MMMM YYYY [at] HH:mm')} ({zone}).\n\n"
        f"Join the room: {room_url(booking)}\n\n"
        "The attached invite adds it to your calendar.\n"
    )
    invite = Attachment("session.ics", booking_invite(booking), "text/calendar")
    send_mail(person.email, subject, body, [invite])


def init_app(app: Flask) -> None:
    every_minute(app, ask_for_due_reminders)
