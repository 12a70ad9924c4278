"""Grade passback over real HTTP: a learner books from an LMS course, the session ends, and the
platform (lti1p3platform's AGS service) records the attendance score on the activity's line
item."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
import typing as t
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.booking import booking_service
from lti_tool.database import write_transaction
from lti_tool.jobs.runner import run_due
from lti_tool.lti.course import activities
from lti_tool.lti.products.product import Product
from lti_tool.lti.protocol import claims as c
from lti_tool.models import AuditEntry
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Course
from lti_tool.models import Job
from lti_tool.models import JobState
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
        ended = booking_service().complete(booking)
    else:
        ended = booking_service().mark_no_show(booking)
    run_due()
    return ended


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
    # A refusal is final: the job is not tried again, however long one waits.
    (job,) = db.session.scalars(sa.select(Job)).all()
    assert (job.state, job.attempts) == (JobState.FAILED, 1)
    clock.now += dt.timedelta(days=1)
    assert run_due() == 0 and lms.platform.scores.posted == []


def test_a_platform_that_is_down_gets_the_score_once_it_is_back(
    lms: AdvantageTool, tutor: TutorProfile, clock: FakeClock
) -> None:
    lineitem = lms.platform.scores.add(lms.platform, label="A", scoreMaximum=1)
    lms.platform.scores.refuse_scores_with = 503
    learner_launch(lms, lineitem)
    booking = finish(book(lms, tutor, at(7, 9)), clock)
    ended_at = clock.now

    # Down: the attempt is recorded and the job waits, not due again before its pause.
    assert [o.action for o in outcomes(booking.id)] == ["grade_failed"]
    assert lms.platform.scores.posted == []
    assert run_due() == 0
    clock.now += dt.timedelta(seconds=31)
    assert run_due() == 1
    assert [o.action for o in outcomes(booking.id)] == ["grade_failed", "grade_failed"]

    # Back: the next attempt, after a longer pause, posts the score; nothing posts it again.
    lms.platform.scores.refuse_scores_with = None
    clock.now += dt.timedelta(seconds=30)
    assert run_due() == 0
    clock.now += dt.timedelta(seconds=31)
    assert run_due() == 1
    clock.now += dt.timedelta(days=2)
    assert run_due() == 0
    (posted,) = lms.platform.scores.posted
    assert posted["line_item"] == "1" and posted["score"]["scoreGiven"] == 1
    # The score says when the session ended, not when the platform came back.
    assert dt.datetime.fromisoformat(posted["score"]["timestamp"]) == ended_at
    assert [o.action for o in outcomes(booking.id)][-1] == "grade_posted"
    (job,) = db.session.scalars(sa.select(Job)).all()
    assert (job.state, job.attempts) == (JobState.DONE, 3)


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


# -- A worker killed mid-job ---------------------------------------------------------------
# ``lti-tool worker`` as an operator runs it, killed with SIGKILL while it posts a grade. The
# platform records the score and has not answered yet when the worker dies: the effect has
# happened and nobody knows. Once the job's lease runs out a second worker runs the job again;
# the platform gets the score a second time with the same timestamp, and its gradebook keeps
# one result.

LTI_TOOL = Path(sys.executable).parent / "lti-tool"
LEASE_SECONDS = 3


def start_worker(app: Flask, queue_file: Path, log: Path) -> subprocess.Popen[bytes]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("LTI_TOOL_")
    }
    environment.update(
        LTI_TOOL_DATABASE_URL=str(app.config["DATABASE_URL"]),
        LTI_TOOL_JOBS_QUEUE=f"sqlite:{queue_file}",
        LTI_TOOL_JOBS_LEASE_SECONDS=str(LEASE_SECONDS),
        LTI_TOOL_BASE_URL=str(app.config["BASE_URL"]),
    )
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(LTI_TOOL), "worker", "--threads", "1"], env=environment, stdout=out, stderr=out
        )


def the_job() -> Job:
    db.session.rollback()
    (job,) = db.session.scalars(sa.select(Job)).all()
    return job


def wait_for(condition: t.Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\n{log.read_text(errors='replace')}")
        time.sleep(0.1)


def test_a_worker_killed_mid_job_leaves_it_to_the_next_and_the_grade_counts_once(
    app: Flask,
    lms: AdvantageTool,
    tutor: t.Any,
    clock: FakeClock,
    tmp_path: Path,  # noqa: F811
) -> None:
    lineitem = lms.platform.scores.add(lms.platform, label="A", scoreMaximum=1)
    learner_launch(lms, lineitem)
    booking_id = book(lms, tutor, at(7, 9))
    db.session.rollback()
    booking = db.session.get(Booking, booking_id)
    assert booking is not None
    clock.now = booking.end_at + dt.timedelta(minutes=1)
    booking_service().complete(booking)
    # The workers keep real time while this test's clock is in 2030: the job is due now.
    with db.engine.begin() as connection:
        connection.execute(sa.update(Job).values(run_at=dt.datetime.now(dt.UTC)))
    stall = threading.Event()
    lms.platform.scores.stall_after_recording = stall
    queue_file, log = tmp_path / "queue.sqlite", tmp_path / "workers.log"

    first = start_worker(app, queue_file, log)
    try:
        wait_for(lms.platform.scores.recorded.is_set, 60, "the score to arrive", log)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stall.set()
        if first.poll() is None:
            first.kill()
    job = the_job()
    assert (job.state, job.attempts) == (JobState.RUNNING, 1)
    assert job.lease_until is not None

    lms.platform.scores.stall_after_recording = None
    time.sleep(max((job.lease_until - dt.datetime.now(dt.UTC)).total_seconds(), 0) + 0.5)
    second = start_worker(app, queue_file, log)
    try:
        wait_for(lambda: the_job().state == JobState.DONE, 60, "the second worker", log)
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()

    job = the_job()
    assert job.attempts == 2 and "worker stopped" in (job.last_error or "")
    posted = lms.platform.scores.posted
    assert len(posted) == 2
    assert posted[0]["score"]["timestamp"] == posted[1]["score"]["timestamp"]
    assert len(lms.platform.scores.results) == 1
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(
            AuditEntry.entity_id == booking.id, AuditEntry.action.like("grade_%")
        )
    ).all()
    assert actions == ["grade_posted"]
