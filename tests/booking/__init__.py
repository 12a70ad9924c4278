"""Helpers for the booking tests: people, a tutor with simple hours, and a clock the test moves.

Time is never slept away: tests set ``app.config["CLOCK"]`` to a :class:`FakeClock` and move
it, and the booking service and the slot APIs both read that clock.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from lti_tool import hookimpl
from lti_tool.models import AvailabilityRule
from lti_tool.models import Booking
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.payments import CheckoutStart
from lti_tool.testing import CSRF_HEADERS
from lti_tool.testing import sign_in as sign_in

#: A Monday morning, far enough ahead that nothing else in the database is near it.
NOW = dt.datetime(2030, 1, 7, 6, 0, tzinfo=dt.UTC)
_numbers = itertools.count(1)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def install_clock(app: Flask, now: dt.datetime = NOW) -> FakeClock:
    clock = FakeClock(now)
    app.config["CLOCK"] = clock
    return clock


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant in the test week of January 2030 (the 7th is a Monday), UTC."""
    return dt.datetime(2030, 1, day, hour, minute, tzinfo=dt.UTC)


def make_subject(slug: str = "algebra", name: str = "Algebra") -> Subject:
    subject = Subject(slug=slug, name=name)
    db.session.add(subject)
    db.session.commit()
    return subject


def make_user(
    name: str | None = None, *, timezone: str | None = None, roles: Iterable[RoleName] = ()
) -> User:
    number = next(_numbers)
    user = User(
        name=name or f"Person {number}",
        email=f"person{number}-{id(object())}@example.test",
        timezone=timezone,
    )
    for role in roles:
        user.add_role(role)
    db.session.add(user)
    db.session.commit()
    return user


def make_learners(count: int) -> list[User]:
    users = [
        User(name=f"Learner {n}", email=f"racer{n}-{next(_numbers)}@example.test")
        for n in range(count)
    ]
    db.session.add_all(users)
    db.session.commit()
    return users


def make_tutor(
    subjects: Iterable[Subject],
    *,
    name: str | None = None,
    timezone: str = "UTC",
    hours: tuple[str, str] = ("08:00", "20:00"),
    weekdays: Iterable[int] = range(7),
    **settings: Any,
) -> TutorProfile:
    """A tutor teaching *subjects* every day during *hours* in *timezone*.

    Defaults suit the tests: sessions of 30/45/60/90 minutes on a 15-minute grid, no notice
    and no buffers. *settings* override any ``TutorProfile`` column.
    """
    start, end = (dt.time.fromisoformat(h) for h in hours)
    values: dict[str, Any] = {
        "session_lengths": [30, 45, 60, 90],
        "interval_min": 15,
        "min_notice_min": 0,
        "horizon_days": 60,
        "buffer_before_min": 0,
        "buffer_after_min": 0,
        "price_cents": 6000,
        **settings,
    }
    user = make_user(name, roles=[RoleName.TUTOR])
    tutor = TutorProfile(user=user, timezone=timezone, **values)
    tutor.subjects = [TutorSubject(subject=s) for s in subjects]
    tutor.rules = [AvailabilityRule(weekday=d, start_time=start, end_time=end) for d in weekdays]
    db.session.add(tutor)
    db.session.commit()
    return tutor


#: Sent as ``X-CSRF-Token`` by requests without a JSON body; :func:`sign_in` plants it.
CSRF = CSRF_HEADERS


def count(model: type[Any], *where: Any) -> int:
    db.session.rollback()  # see what other sessions committed
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


class EventRecorder:
    """A plugin that notes each ``booking_event`` and the booking's state as another
    connection sees it, which proves the change was committed before the call."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, str | None]] = []
        self.details: list[dict[str, object]] = []
        self._lock = threading.Lock()

    @hookimpl
    def booking_event(self, event: str, booking: Booking, detail: dict[str, object]) -> None:
        with db.engine.connect() as connection:
            committed = connection.scalar(sa.select(Booking.state).where(Booking.id == booking.id))
        with self._lock:
            self.events.append((event, booking.id, committed.value if committed else None))
            self.details.append(detail)

    def names(self, booking_id: int | None = None) -> list[str]:
        return [e for e, b, _ in self.events if booking_id is None or b == booking_id]


class PaidProvider:
    """A payment provider that wants money for every booking."""

    name = "test-paid"

    def requires_payment(self, booking: Booking) -> bool:
        return True

    def refusal(self, booking: Booking) -> str | None:
        return None

    def start_checkout(self, booking: Booking, return_url: str) -> CheckoutStart:
        return CheckoutStart(redirect_url="https://pay.example.test/checkout")

    def refund(self, booking: Booking, amount_cents: int, reason: str) -> None:
        """Nothing to give back in tests."""


class PaidPlugin:
    @hookimpl
    def payment_provider(self) -> PaidProvider:
        return PaidProvider()
