from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from lti_tool.cli import cli
from lti_tool.models import AvailabilityRule
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import UserRole
from lti_tool.models import db


def count(query: sa.Select[tuple[int]]) -> int:
    return int(db.session.scalar(query) or 0)


def test_demo_seeds_a_believable_site_once(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(cli, args=["demo"])
    assert result.exit_code == 0, result.output
    tutors = db.session.scalars(sa.select(TutorProfile)).all()
    assert len(tutors) >= 20
    assert len({tutor.timezone for tutor in tutors}) >= 8
    assert count(sa.select(sa.func.count()).select_from(Subject)) == 10
    learners = (
        sa.select(sa.func.count()).select_from(UserRole).where(UserRole.role == RoleName.LEARNER)
    )
    assert count(learners) == 30
    assert all(tutor.rules for tutor in tutors)
    assert count(sa.select(sa.func.count()).select_from(AvailabilityRule)) >= 40
    past = (
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(Booking.state == BookingState.COMPLETED)
    )
    assert count(past) >= 50

    again = runner.invoke(cli, args=["demo"])
    assert again.exit_code == 0
    assert "already present" in again.output
    assert count(sa.select(sa.func.count()).select_from(User)) == 50

    reset = runner.invoke(cli, args=["demo", "--reset"])
    assert reset.exit_code == 0, reset.output
    assert count(sa.select(sa.func.count()).select_from(User)) == 50
