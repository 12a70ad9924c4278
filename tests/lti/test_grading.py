"""Grade passback over real HTTP: a learner books from an LMS course, the session ends, and the
platform (lti1p3platform's AGS service) records the attendance score on the activity's line
item."""

from __future__ import annotations

import datetime as dt
import re
import typing as t
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.booking import booking_service
from lti_tool.database import write_transaction
from lti_tool.lti.course import activities
from lti_tool.lti.products.product import Product
from lti_tool.lti.protocol import claims as c
from lti_tool.models import AuditEntry
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Course
from lti_tool.models import Registration
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import db
from tests.booking import FakeClock
from tests.booking import at
from tests.booking import install_clock
from tests.booking import make_tutor
from tests.lti.advantage import AdvantageTool
from tests.lti.advantage import advantage_tool
from tests.lti.services_platform import SCORE

LINK = "resource-link-1"  # the resource link id of the test platform's launches


@pytest.fixture
def lms(app: Flask, served: t.Any) -> Iterator[AdvantageTool]:
    with advantage_tool(app, served) as tool:
        yield tool


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    return install_clock(app)


@pytest.fixture
def tutor(lms: AdvantageTool, clock: FakeClock) -> TutorProfile:
    subjects = db.session.scalars(sa.select(Subject).order_by(Subject.slug)).all()
    return make_tutor(subjects, name="Uma")


def learner_launch(
    lms: AdvantageTool, lineitem: str | None = None, link: str = LINK, **claims: t.Any
) -> None:
    claims.setdefault("custom", {"subject": "algebra"})
    extra = {**lms.platform.ags_claim(lineitem), c.RESOURCE_LINK: {"id": link, "title": link}}
    response = lms.launch_with(extra, sub="learner-1", **claims)
    assert response.status_code == 302, response.text


def book(lms: AdvantageTool, tutor: TutorProfile, start: dt.datetime, slug: str = "algebra") -> int:
    """Book as the launched learner does: the tutor page names the course to book from."""
    page = lms.browser.get(f"{lms.url}/tutors/{tutor.id}?subject={slug}")
    found = re.search(r'data-course-id="(\d*)"', page.text)
    assert found and found.group(1), "the tutor page does not pass the launch's course on"
    response = lms.browser.post(
        f"{lms.url}/api/v1/bookings",
        json={
            "tutor_id": tutor.id,
            "subject": slug,
            "start": start.isoformat(),
            "duration": 60,
            "course_id": int(found.group(1)),
        },
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def finish(booking_id: int, clock: FakeClock, event: str = "completed") -> Booking:
    db.session.rollback()
    booking = db.session.get(Booking, booking_id)
    assert booking is not None
    clock.now = booking.end_at + dt.timedelta(minutes=1)
    if event == "completed":
        return booking_service().complete(booking)
    return booking_service().mark_no_show(booking)


def outcomes(booking_id: int) -> list[AuditEntry]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_id == booking_id, AuditEntry.action.like("grade_%"))
            .order_by(AuditEntry.id)
        )
    )


def test_scores_url_goes_before_the_query_string() -> None:
    grading = Product(Registration(client_id="c", issuer="i")).grading
    url = "https://lms.example/mod/lti/services.php/2/lineitems/3/lineitem?type_id=1"
    assert grading.scores_url(url) == (
        "https://lms.example/mod/lti/services.php/2/lineitems/3/lineitem/scores?type_id=1"
    )
    assert (
        grading.scores_url("https://lms.example/items/3/") == "https://lms.example/items/3/scores"
    )


def test_attendance_is_posted_to_the_line_item_of_the_launch(
    lms: AdvantageTool, tutor: TutorProfile, clock: FakeClock
) -> None:
    lineitem = lms.platform.scores.add(
        lms.platform, label="Algebra tutoring", scoreMaximum=1, resourceLinkId=LINK
    )
    learner_launch(lms, lineitem)
    booking_id = book(lms, tutor, at(7, 9))
    db.session.rollback()
    course = db.session.scalars(sa.select(Course)).one()
    assert db.session.get(Booking, booking_id).course_id == course.id  # type: ignore[union-attr]
    finish(booking_id, clock)

    (posted,) = lms.platform.scores.posted
    assert posted["line_item"] == "1"
    score = posted["score"]
    assert score["userId"] == "learner-1"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (1, 1)
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert dt.datetime.fromisoformat(score["timestamp"]) == clock.now
    (request,) = lms.platform.requests_to("/ags/lineitems/1/lineitem/scores", "POST")
    assert request.headers["Content-Type"] == SCORE
    assert request.query == "type_id=7"
    # The line item came with the launch, so the container was never searched.
    assert lms.platform.requests_to("/ags/lineitems") == []
    (outcome,) = outcomes(booking_id)
    assert outcome.action == "grade_posted"
    assert outcome.detail["lineitem"] == lineitem and outcome.detail["score_given"] == 1


def test_without_a_line_item_one_is_created_once_and_reused(
    lms: AdvantageTool, tutor: TutorProfile, clock: FakeClock
) -> None:
    learner_launch(lms)
    first = book(lms, tutor, at(7, 9))
    second = book(lms, tutor, at(7, 11))
    finish(first, clock)
    finish(second, clock, "no_show")

    (created,) = lms.platform.requests_to("/ags/lineitems", "POST")
    assert created.headers["Content-Type"] == "application/vnd.ims.lis.v2.lineitem+json"
    assert created.json["resourceLinkId"] == LINK
    assert created.json["tag"] == activities.ATTENDANCE_TAG
    assert created.json["scoreMaximum"] == 1 and created.json["label"]
    (search,) = lms.platform.requests_to("/ags/lineitems", "GET")
    assert f"resource_link_id={LINK}" in search.query
    given = [(p["line_item"], p["score"]["scoreGiven"]) for p in lms.platform.scores.posted]
    assert given == [("1", 1), ("1", 0)]
    assert lms.platform.scores.posted[1]["score"]["activityProgress"] == "Completed"
    db.session.rollback()
    course = db.session.scalars(sa.select(Course)).one()
    stored = activities.activities(course.services)[LINK]
    assert stored.lineitem == lms.platform.scores.url(lms.platform, "1")


def test_an_existing_line_item_of_the_link_is_found(
    lms: AdvantageTool, tutor: TutorProfile, clock: FakeClock
) -> None:
    lms.platform.scores.add(lms.platform, label="Other", scoreMaximum=10, resourceLinkId="x")
    lms.platform.scores.add(
        lms.platform,
        label="Attendance",
        scoreMaximum=1,
        resourceLinkId=LINK,
        tag=activities.ATTENDANCE_TAG,
    )
    learner_launch(lms)
    finish(book(lms, tutor, at(7, 9)), clock)
    assert lms.platform.requests_to("/ags/lineitems", "POST") == []
    assert [p["line_item"] for p in lms.platform.scores.posted] == ["2"]


def test_stored_scopes_that_are_not_a_list_count_as_none_offered(
    lms: AdvantageTool, tutor: TutorProfile, clock: FakeClock
) -> None:
    lineitem = lms.platform.scores.add(lms.platform, label="A", scoreMaximum=1)
    learner_launch(lms, lineitem)
    booking_id = book(lms, tutor, at(7, 9))
    db.session.rollback()
    with write_transaction() as session:
        course = session.scalars(sa.select(Course)).one()
        ags = t.cast(dict[str, t.Any], course.services["ags"])
        course.services = {**course.services, "ags": {**ags, "scopes": 7}}
    finish(booking_id, clock)
    (outcome,) = outcomes(booking_id)
    assert outcome.action == "grade_posted"
    assert [p["line_item"] for p in lms.platform.scores.posted] == ["1"]


def test_a_refused_score_is_recorded_and_the_session_stays_completed(
    lms: AdvantageTool, tutor: TutorProfile, clock: FakeClock
) -> None:
    lineitem = lms.platform.scores.add(lms.platform, label="A", scoreMaximum=1)
    lms.platform.scores.refuse_scores_with = 422
    learner_launch(lms, lineitem)
    booking = finish(book(lms, tutor, at(7, 9)), clock)
    assert booking.state == BookingState.COMPLETED
    (outcome,) = outcomes(booking.id)
    assert outcome.action == "grade_failed" and outcome.detail["status"] == 422


def test_an_ungraded_activity_posts_nothing(
    lms: AdvantageTool, tutor: TutorProfile, clock: FakeClock
) -> None:
    learner_launch(lms, custom={"subject": "algebra", "graded": "false"})
    booking_id = book(lms, tutor, at(7, 9))
    finish(booking_id, clock)
    assert lms.platform.scores.posted == [] and lms.platform.requests_to("/token") == []
    (outcome,) = outcomes(booking_id)
    assert outcome.action == "grade_skipped" and "algebra" in outcome.detail["reason"]


def test_a_session_counts_for_the_activity_of_its_subject(
    lms: AdvantageTool, tutor: TutorProfile, clock: FakeClock
) -> None:
    algebra = lms.platform.scores.add(lms.platform, label="Algebra", scoreMaximum=1)
    geometry = lms.platform.scores.add(lms.platform, label="Geometry", scoreMaximum=1)
    learner_launch(lms, algebra)
    learner_launch(lms, geometry, "resource-link-2", custom={"subject": "geometry"})
    finish(book(lms, tutor, at(7, 9), "algebra"), clock)
    assert [p["line_item"] for p in lms.platform.scores.posted] == ["1"]


def test_a_booking_outside_any_course_is_not_graded(
    app: Flask, lms: AdvantageTool, tutor: TutorProfile, clock: FakeClock
) -> None:
    learner_launch(lms)
    response = lms.browser.post(
        f"{lms.url}/api/v1/bookings",
        json={
            "tutor_id": tutor.id,
            "subject": "algebra",
            "start": at(7, 9).isoformat(),
            "duration": 60,
        },
    )
    assert response.status_code == 201
    finish(int(response.json()["id"]), clock)
    assert lms.platform.requests_to("/token") == []
    assert lms.platform.scores.posted == []
    assert outcomes(int(response.json()["id"])) == []
