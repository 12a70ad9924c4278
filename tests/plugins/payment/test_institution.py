"""Learners of an institution-paid LMS course book without paying, and the institution gets a
monthly count of those sessions."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from flask import Flask
from lti_tool_payment.report import payments_group

from lti_tool.booking import booking_service
from lti_tool.models import Booking
from lti_tool.models import Course
from lti_tool.models import Deployment
from lti_tool.models import Enrollment
from lti_tool.models import Registration
from lti_tool.models import User
from lti_tool.models import db
from tests.booking import make_user

from .fake_stripe import FakeStripe
from .helpers import World
from .helpers import book
from .helpers import fresh
from .helpers import make_world


def lms_course(
    learner: User | None, *, course_paid: bool = False, deployment_paid: bool = False
) -> Course:
    registration = Registration(
        issuer="https://lms.example.edu",
        client_id=f"client-{db.session.query(Registration).count()}",
        auth_login_url="https://lms.example.edu/auth",
        auth_token_url="https://lms.example.edu/token",
        key_set_url="https://lms.example.edu/jwks",
    )
    deployment = Deployment(
        registration=registration, deployment_id="1", institution_paid=deployment_paid
    )
    course = Course(
        deployment=deployment,
        context_id=f"ctx-{registration.client_id}",
        title="Calculus I",
        institution_paid=course_paid,
    )
    db.session.add(course)
    if learner is not None:
        db.session.add(Enrollment(course=course, user=learner, roles=["learner"]))
    db.session.commit()
    return course


@pytest.mark.parametrize("paid_by", ["course", "deployment"])
def test_an_institution_paid_course_books_without_payment(
    app: Flask, fake: FakeStripe, paid_by: str
) -> None:
    world = make_world(app)
    course = lms_course(
        world.learner,
        course_paid=paid_by == "course",
        deployment_paid=paid_by == "deployment",
    )

    answer = book(world, course_id=course.id)

    assert answer.status_code == 201, answer.json
    assert (answer.json["state"], answer.json["redirect_url"]) == ("confirmed", None)
    assert fake.requests == []
    assert fresh(Booking, answer.json["id"]).course_id == course.id


def test_a_course_the_institution_does_not_pay_for_still_needs_payment(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    course = lms_course(world.learner)

    answer = book(world, course_id=course.id)

    assert answer.status_code == 201, answer.json
    assert answer.json["state"] == "held"
    assert len(fake.sessions) == 1


@pytest.mark.parametrize("course", ["not enrolled", "no such course"])
def test_booking_for_a_course_needs_an_enrolment_in_it(
    app: Flask, fake: FakeStripe, course: str
) -> None:
    world = make_world(app)
    someone_else = make_user("Sam Else")
    course_id = lms_course(someone_else, course_paid=True).id if course == "not enrolled" else 999

    answer = book(world, course_id=course_id)

    assert answer.status_code == 403
    assert answer.json["error"] == "not_enrolled"
    db.session.rollback()
    assert db.session.query(Booking).count() == 0


def _session(world: World, course: Course | None, day: int, hour: int = 10) -> int:
    start = dt.datetime(2030, 1, day, hour, tzinfo=dt.UTC)
    subject = world.tutor.subjects[0].subject
    booking = booking_service().book(world.learner, world.tutor, subject, start, 60, course)
    return booking.id


def test_the_report_counts_sessions_per_course_and_month(app: Flask, fake: FakeStripe) -> None:
    world = make_world(app)
    paid = lms_course(world.learner, course_paid=True)
    by_deployment = lms_course(world.learner, deployment_paid=True)
    own_pocket = lms_course(world.learner)
    _session(world, paid, 8)
    _session(world, paid, 9)
    cancelled = _session(world, paid, 10)
    _session(world, by_deployment, 11)
    _session(world, None, 12, 9)  # the learner's own booking, paid by them
    _session(world, own_pocket, 12, 11)
    booking_service().cancel(fresh(Booking, cancelled), world.learner)
    runner = app.test_cli_runner()

    table = runner.invoke(payments_group, ["institution-report", "--month", "2030-01"])
    as_json = runner.invoke(payments_group, ["institution-report", "--json"])
    other_month = runner.invoke(payments_group, ["institution-report", "--month", "2030-02"])
    bad_month = runner.invoke(payments_group, ["institution-report", "--month", "January"])

    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split("\t")[:4] == ["month", "course_id", "course", "sessions"]
    assert sorted(line.split("\t")[1:4] for line in lines[1:]) == sorted(
        [[str(paid.id), "Calculus I", "2"], [str(by_deployment.id), "Calculus I", "1"]]
    )
    rows = {row["course_id"]: row for row in json.loads(as_json.output)}
    assert rows[paid.id]["sessions"] == 2 and rows[paid.id]["upcoming"] == 2
    assert rows[paid.id]["minutes"] == 120 and rows[paid.id]["month"] == "2030-01"
    assert set(rows) == {paid.id, by_deployment.id}
    assert "No sessions" in other_month.output
    assert bad_month.exit_code == 2
    assert "YYYY-MM" in bad_month.output
