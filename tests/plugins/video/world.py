"""People and a booking whose room is open now, shared by the video plugin's tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.testing import make_booking


class Refused(Exception):
    """The server refused a ``/room`` connection; the message holds its reason."""


@dataclass(frozen=True)
class World:
    booking_id: int
    other_booking_id: int
    tutor_id: int
    learner_id: int
    stranger_id: int
    admin_id: int


def _person(name: str, email: str, role: RoleName) -> User:
    user = User(name=name, email=email, timezone="Europe/Paris")
    user.add_role(role)
    return user


def build(now: dt.datetime | None = None) -> World:
    """Inside an application context: a confirmed booking that started five minutes ago."""
    now = now or dt.datetime.now(dt.UTC)
    subject = Subject(slug="physics", name="Physics")
    tutor_user = _person("Tess Tutor", "tess@example.org", RoleName.TUTOR)
    tutor = TutorProfile(user=tutor_user, timezone="Europe/Paris")
    tutor.subjects = [TutorSubject(subject=subject)]
    learner = _person("Leo Learner", "leo@example.org", RoleName.LEARNER)
    stranger = _person("Sam Stranger", "sam@example.org", RoleName.LEARNER)
    admin = _person("Ada Admin", "ada@example.org", RoleName.ADMIN)
    db.session.add_all([tutor, learner, stranger, admin])
    db.session.flush()
    bookings = [
        make_booking(tutor, learner, now - dt.timedelta(minutes=5)),
        make_booking(tutor, stranger, now + dt.timedelta(hours=3)),
    ]
    db.session.commit()
    return World(
        booking_id=bookings[0].id,
        other_booking_id=bookings[1].id,
        tutor_id=tutor_user.id,
        learner_id=learner.id,
        stranger_id=stranger.id,
        admin_id=admin.id,
    )
