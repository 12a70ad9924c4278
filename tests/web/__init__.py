"""Pages, their inputs and who may see them, across the tool's routes.

Helpers shared with tests elsewhere live here rather than in a test module, so importing them
does not collect that module's tests a second time.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from lti_tool import demo
from lti_tool.models import Booking
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from tests.tutors import make_booking


def tokyo_booking() -> Booking:
    """The demo data, and in it a confirmed booking of a Tokyo tutor by a New York learner."""
    demo.seed()
    tutor = db.session.scalars(
        sa.select(TutorProfile).where(TutorProfile.timezone == "Asia/Tokyo")
    ).one()
    learner = db.session.scalars(sa.select(User).where(User.email.like("learner1@%"))).one()
    learner.timezone = "America/New_York"
    # Tuesday 2030-01-08 09:00 in Tokyo is Monday 19:00 in New York.
    start = dt.datetime(2030, 1, 8, 0, 0, tzinfo=dt.UTC)
    return make_booking(tutor, learner, start, subject=tutor.subjects[0].subject)
