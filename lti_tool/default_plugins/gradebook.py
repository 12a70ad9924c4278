"""Credits attendance of sessions booked from an LMS course in the course's gradebook."""

from __future__ import annotations

import typing as t

from lti_tool import hookimpl
from lti_tool.lti.course import passback

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.models import Booking


@hookimpl
def booking_event(event: str, booking: Booking, detail: dict[str, t.Any]) -> None:
    passback.post_attendance(booking, event)
