"""Attendance of a booked session, posted to the course's gradebook.

When a session booked from an LMS course ends (``completed`` or ``no_show``), the learner's
attendance goes to the line item of the course's activity for that subject: 1 of 1 for a
session that took place, 0 of 1 for one the learner missed. Each attempt is logged and leaves
an audit row on the booking (``grade_posted``, ``grade_failed`` or ``grade_skipped``) saying
what happened.

Posting is a background job (``gradebook.post_attendance``), asked for in the transaction that
ends the session. A platform that is down or overloaded (no answer, 408, 429, 5xx) gets the
score again later; one that refuses it (another 4xx) does not. Every attempt carries the
instant the session ended as the score's timestamp, so a platform that got the score from an
attempt whose answer was lost keeps it once: AGS platforms ignore a score no newer than the
one they hold.
"""

from __future__ import annotations

import datetime as dt
import logging
import typing as t
from dataclasses import dataclass

import sqlalchemy as sa

from lti_tool.booking import current_time
from lti_tool.database import write_transaction
from lti_tool.jobs import JobRefused
from lti_tool.lti.course import activities
from lti_tool.lti.course.activities import Activity
from lti_tool.lti.products.grading import Grading
from lti_tool.lti.products.grading import Score
from lti_tool.lti.products.registry import products
from lti_tool.lti.protocol.tokens import PlatformServiceError
from lti_tool.models import AuditEntry
from lti_tool.models import Booking
from lti_tool.models import Course
from lti_tool.models import LtiIdentity
from lti_tool.models import db

log = logging.getLogger("lti_tool.lti.passback")
#: Booking events that end a session, and the score each one is worth.
ATTENDANCE: t.Mapping[str, float] = {"completed": 1.0, "no_show": 0.0}
SCORE_MAXIMUM = 1.0
#: Answers that say "not now" rather than "no".
RETRYABLE = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Outcome:
    action: str
    """``grade_posted``, ``grade_failed`` or ``grade_skipped``."""
    detail: dict[str, t.Any]


class Skip(Exception):
    """Nothing can be posted for this booking; the message says why."""


def is_graded(event: str, booking: Booking) -> bool:
    return event in ATTENDANCE and booking.course_id is not None


def post_attendance(booking: Booking, event: str, at: dt.datetime) -> Outcome | None:
    """Post the attendance score of *booking* (moved to *event* at *at*); None for an event
    that carries no grade or a booking made outside any LMS course.

    :raises PlatformServiceError: the platform could not take the score now; worth another
        try later (the failure is already recorded).
    :raises JobRefused: the platform refused the score; another try would be refused too.
    """
    if not is_graded(event, booking):
        return None
    detail: dict[str, t.Any] = {"event": event, "course_id": booking.course_id}
    try:
        detail.update(_post(booking, ATTENDANCE[event], at))
        outcome = Outcome("grade_posted", detail)
        log.info("attendance of booking %s posted to %s", booking.id, detail.get("lineitem"))
    except Skip as exc:
        outcome = Outcome("grade_skipped", {**detail, "reason": str(exc)})
        log.info("attendance of booking %s not posted: %s", booking.id, exc)
    except PlatformServiceError as exc:
        error = {"error": str(exc), "status": exc.status, "body": exc.body[:500]}
        outcome = Outcome("grade_failed", {**detail, **error})
        log.warning("attendance of booking %s could not be posted: %s", booking.id, exc)
        _audit(booking, outcome)
        if exc.status is None or exc.status in RETRYABLE or exc.status >= 500:
            raise
        raise JobRefused(f"the platform refused the score ({exc.status})") from exc
    _audit(booking, outcome)
    return outcome


def _post(booking: Booking, score_given: float, at: dt.datetime) -> dict[str, t.Any]:
    course = db.session.get(Course, booking.course_id)
    if course is None or course.deployment is None:
        raise Skip("the course was not launched from an LMS")
    registration = course.deployment.registration
    services = course.services or {}
    ags = services.get("ags")
    if not isinstance(ags, dict) or not ags:
        raise Skip("the platform offers no grade service (AGS) for this course")
    activity = activities.credited_activity(services, booking.subject.slug)
    if activity is None:
        raise Skip(f"no graded activity of the course covers {booking.subject.slug!r}")
    user_id = db.session.scalar(
        sa.select(LtiIdentity.sub).where(
            LtiIdentity.user_id == booking.learner_id,
            LtiIdentity.issuer == registration.issuer,
        )
    )
    if not user_id:
        raise Skip("the learner has never launched the tool from this platform")
    # Anything but a list of scopes counts as none offered, so every AGS scope is asked for.
    scopes = ags.get("scopes")
    grading = (
        products().bound(registration).grading_with(scopes if isinstance(scopes, list) else ())
    )
    lineitem = activity.lineitem or _find_line_item(grading, course, activity, ags)
    score = Score(
        user_id=user_id,
        score_given=score_given,
        score_maximum=SCORE_MAXIMUM,
        timestamp=at,
    )
    grading.post_score(lineitem, score)
    return {
        "lineitem": lineitem,
        "resource_link_id": activity.resource_link_id,
        "user_id": user_id,
        "score_given": score_given,
        "score_maximum": SCORE_MAXIMUM,
    }


def _find_line_item(
    grading: Grading, course: Course, activity: Activity, ags: dict[str, t.Any]
) -> str:
    container = ags.get("lineitems")
    if not isinstance(container, str) or not container:
        raise Skip("the activity has no line item and the platform gave no line item container")
    item = grading.find_or_create_line_item(
        container,
        label=activity.title or "Tutoring attendance",
        score_maximum=SCORE_MAXIMUM,
        resource_link_id=activity.resource_link_id,
        tag=activities.ATTENDANCE_TAG,
    )
    _remember_line_item(course.id, activity, item.id)
    return item.id


def _remember_line_item(course_id: int, activity: Activity, lineitem: str) -> None:
    # Read again under the write lock: a launch may have changed the services meanwhile.
    with write_transaction() as session:
        course = session.get(Course, course_id, with_for_update=True, populate_existing=True)
        if course is None:
            return
        current = activities.activities(course.services).get(activity.resource_link_id)
        if current is not None and not current.lineitem:
            updated = Activity.from_json(
                current.resource_link_id, {**current.as_json(), "lineitem": lineitem}
            )
            course.services = activities.with_activity(course.services, updated)


def _audit(booking: Booking, outcome: Outcome) -> None:
    with write_transaction() as session:
        session.add(
            AuditEntry(
                at=current_time(),
                actor_id=None,
                entity_type="booking",
                entity_id=booking.id,
                action=outcome.action,
                from_state=booking.state.value,
                to_state=booking.state.value,
                detail=outcome.detail,
            )
        )
