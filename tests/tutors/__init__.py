"""Tutor settings, their API and editor page, CSV import/export and calendar files.

The helpers below create rows directly with the models, so each test states the data it needs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import typing as t

from flask.testing import FlaskClient

from lti_tool import testing
from lti_tool.models import AvailabilityRule
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Course
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import db

_counter = itertools.count(1)


def make_user(
    name: str = "Lee Learner", email: str | None = "", role: RoleName = RoleName.LEARNER
) -> User:
    number = next(_counter)
    address = f"person{number}@example.org" if email == "" else email
    user = User(name=name, email=address, timezone="UTC")
    user.add_role(role)
    db.session.add(user)
    db.session.commit()
    return user


def make_subject(slug: str = "algebra", name: str = "Algebra") -> Subject:
    subject = db.session.query(Subject).filter_by(slug=slug).one_or_none()
    if subject is None:
        subject = Subject(slug=slug, name=name)
        db.session.add(subject)
        db.session.commit()
    return subject


def make_tutor(
    name: str = "Tess Tutor", timezone: str = "Europe/Paris", **settings: t.Any
) -> TutorProfile:
    subject = make_subject()
    user = make_user(name=name, role=RoleName.TUTOR)
    profile = TutorProfile(user=user, timezone=timezone, **settings)
    profile.subjects = [TutorSubject(subject=subject, level="school")]
    profile.rules = [
        AvailabilityRule(weekday=0, start_time=dt.time(9), end_time=dt.time(12)),
    ]
    db.session.add(profile)
    db.session.commit()
    return profile


def make_booking(
    tutor: TutorProfile,
    learner: User,
    start: dt.datetime,
    minutes: int = 60,
    state: BookingState = BookingState.CONFIRMED,
    currency: str = "usd",
    *,
    subject: Subject | None = None,
    course: Course | None = None,
) -> Booking:
    booking = testing.make_booking(
        tutor,
        learner,
        start,
        minutes=minutes,
        subject=subject or make_subject(),
        course=course,
        state=state,
        currency=currency,
    )
    db.session.commit()
    return booking


def sign_in(client: FlaskClient, user: User) -> None:
    with client.session_transaction() as session:
        session["user_id"] = user.id
