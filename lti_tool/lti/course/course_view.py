"""The instructor's view of a course: who is enrolled and what they booked from it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint
from flask import abort
from flask import render_template

from lti_tool.auth import current_user
from lti_tool.auth import require_user
from lti_tool.lti.course.members import RosterView
from lti_tool.lti.course.members import roster_view
from lti_tool.models import Booking
from lti_tool.models import Course
from lti_tool.models import Enrollment
from lti_tool.models import RoleName
from lti_tool.models import User
from lti_tool.models import db

bp = Blueprint("lti_course", __name__, template_folder="templates")
TEACHING_ROLES = frozenset({RoleName.INSTRUCTOR.value, RoleName.ADMIN.value})


@dataclass(frozen=True)
class LearnerRow:
    user: User
    roles: list[str]
    bookings: list[Booking]


def _teaching_course_or_404(course_id: int) -> Course:
    user = current_user()
    course = db.session.get(Course, course_id)
    if course is None or user is None:
        abort(404, description="No such course.")
    if user.has_role(RoleName.ADMIN):
        return course
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.course_id == course.id, Enrollment.user_id == user.id
        )
    )
    # Learners of the course and strangers get the same answer, so course ids reveal nothing.
    if enrollment is None or not TEACHING_ROLES & set(enrollment.roles or ()):
        abort(404, description="No such course.")
    return course


@bp.get("/lti/course/<int:course_id>")
@require_user
def course_page(course_id: int) -> str:
    """Enrolled learners of the course with the sessions they booked from it."""
    course = _teaching_course_or_404(course_id)
    enrollments = db.session.scalars(
        sa.select(Enrollment)
        .where(Enrollment.course_id == course.id)
        .join(User, Enrollment.user_id == User.id)
        .order_by(User.name, User.id)
    ).all()
    learners = [e for e in enrollments if RoleName.LEARNER.value in (e.roles or ())]
    bookings = db.session.scalars(
        sa.select(Booking)
        .where(
            Booking.course_id == course.id,
            Booking.learner_id.in_([e.user_id for e in learners]),
        )
        .order_by(Booking.start_at)
    ).all()
    by_learner: dict[int, list[Booking]] = {}
    for booking in bookings:
        by_learner.setdefault(booking.learner_id, []).append(booking)
    rows = [LearnerRow(e.user, list(e.roles), by_learner.get(e.user_id, [])) for e in learners]
    teachers = [e.user for e in enrollments if TEACHING_ROLES & set(e.roles or ())]
    roster: RosterView | None = roster_view(course)
    return render_template(
        "lti/course.html", course=course, rows=rows, teachers=teachers, roster=roster
    )
