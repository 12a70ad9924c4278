"""Credits attendance of sessions booked from an LMS course in the course's gradebook."""

from __future__ import annotations

import datetime as dt
import typing as t

from lti_tool import hookimpl
from lti_tool.booking import current_time
from lti_tool.jobs import JobRefused
from lti_tool.jobs import job
from lti_tool.lti.course import passback
from lti_tool.models import Booking
from lti_tool.models import db


@hookimpl
def booking_jobs(event: str, booking: Booking, enqueue: t.Callable[..., int | None]) -> None:
    if passback.is_graded(event, booking):
        enqueue(
            "gradebook.post_attendance",
            key=f"gradebook:{booking.id}:{event}",
            booking_id=booking.id,
            event=event,
            at=current_time().isoformat(),
        )


@job("gradebook.post_attendance", max_attempts=12)
def post_attendance(booking_id: int, event: str, at: str) -> None:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise JobRefused(f"booking {booking_id} no longer exists")
    passback.post_attendance(booking, event, dt.datetime.fromisoformat(at))
