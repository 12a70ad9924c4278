"""The clock bookings are judged by.

``app.config["CLOCK"]``, when set, is any callable returning an aware datetime and replaces
the system clock for the booking service and the slot APIs alike; tests move time with it
instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from collections.abc import Callable

from flask import current_app

from lti_tool.booking.errors import InvalidBooking
from lti_tool.models import utcnow

Clock = Callable[[], dt.datetime]


def app_clock() -> Clock:
    """The application's clock: ``app.config["CLOCK"]`` if set, else the system clock."""
    clock = current_app.config.get("CLOCK")
    return t.cast(Clock, clock) if callable(clock) else utcnow


def current_time() -> dt.datetime:
    """Now, by the application's clock, as an aware UTC datetime."""
    return as_utc(app_clock()(), "the clock")


def as_utc(moment: dt.datetime, what: str) -> dt.datetime:
    """A plain aware UTC datetime; a naive one is refused because its meaning is a guess.

    :raises InvalidBooking: *moment* has no UTC offset.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidBooking(f"{what} needs a UTC offset, e.g. 2026-05-04T09:00:00+02:00")
    u = moment.astimezone(dt.UTC)
    return dt.datetime(
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, tzinfo=dt.UTC
    )


def iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()
