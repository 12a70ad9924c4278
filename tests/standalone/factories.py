"""Small builders for the site's tests: people, tutors with hours, sessions and reviews."""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from flask.testing import FlaskClient

from lti_tool.models import AvailabilityOverride
from lti_tool.models import AvailabilityRule
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Review
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.testing import make_booking


def subject(slug: str) -> Subject:
    found = db.session.scalar(sa.select(Subject).where(Subject.slug == slug))
    if found is None:
        found = Subject(slug=slug, name=slug.replace("-", " ").title())
        db.session.add(found)
    return found


def person(name: str, timezone: str | None = None, *roles: RoleName) -> User:
    user = User(name=name, email=f"{'.'.join(name.lower().split())}@example.org", timezone=timezone)
    for role in roles or (RoleName.LEARNER,):
        user.add_role(role)
    db.session.add(user)
    return user


def tutor(
    name: str,
    zone: str,
    *,
    languages: list[str],
    price_cents: int,
    subjects: t.Sequence[str],
    hours: tuple[str, str] | None = ("09:00", "12:00"),
    **settings: t.Any,
) -> TutorProfile:
    """A tutor free every day during *hours* in their own zone (none when ``None``)."""
    profile = TutorProfile(
        user=person(name, zone, RoleName.TUTOR),
        timezone=zone,
        languages=languages,
        price_cents=price_cents,
        session_lengths=[60],
        min_notice_min=60,
        **settings,
    )
    db.session.add(profile)
    profile.subjects = [TutorSubject(subject=subject(slug)) for slug in subjects]
    if hours is not None:
        start, end = (dt.time.fromisoformat(value) for value in hours)
        profile.rules = [
            AvailabilityRule(weekday=day, start_time=start, end_time=end) for day in range(7)
        ]
    return profile


def time_off(profile: TutorProfile, first: dt.date, last: dt.date) -> None:
    profile.overrides.append(AvailabilityOverride(kind="blocked", first_date=first, last_date=last))


def session(
    profile: TutorProfile,
    learner: User,
    start: dt.datetime,
    state: BookingState = BookingState.COMPLETED,
    price_cents: int | None = None,
) -> Booking:
    return make_booking(profile, learner, start, state=state, price_cents=price_cents)


def review(booking: Booking, rating: int, comment: str = "") -> Review:
    found = Review(booking_id=booking.id, tutor_id=booking.tutor_id, rating=rating, comment=comment)
    db.session.add(found)
    return found


def act_as(client: FlaskClient, user: User) -> None:
    with client.session_transaction() as state:
        state["user_id"] = user.id
