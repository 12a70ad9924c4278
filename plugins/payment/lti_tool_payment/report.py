"""``lti-tool payments``: what institutions owe for the sessions their learners booked.

Learners of an institution-paid course (the course's flag, or its LMS deployment's) book
without paying; the institution is invoiced from this report instead.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from dataclasses import dataclass

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Course
from lti_tool.models import Deployment
from lti_tool.models import db

#: Sessions the institution pays for: booked and not cancelled or lapsed.
BILLED_STATES = (BookingState.CONFIRMED, BookingState.COMPLETED, BookingState.NO_SHOW)


@dataclass
class CourseMonth:
    month: str
    course_id: int
    course: str
    sessions: int = 0
    completed: int = 0
    no_show: int = 0
    upcoming: int = 0
    minutes: int = 0


def _month_bounds(text: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        first = dt.datetime.strptime(text, "%Y-%m").replace(tzinfo=dt.UTC)
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM, got {text!r}") from None
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


def institution_report(month: str | None = None) -> list[CourseMonth]:
    """Sessions per course and calendar month (UTC) of institution-paid courses."""
    query = (
        sa.select(Booking, Course)
        .join(Course, Booking.course_id == Course.id)
        .outerjoin(Deployment, Course.deployment_id == Deployment.id)
        .where(
            sa.or_(Course.institution_paid, Deployment.institution_paid.is_(True)),
            Booking.state.in_(BILLED_STATES),
        )
        .order_by(Booking.start_at)
    )
    if month:
        start, end = _month_bounds(month)
        query = query.where(Booking.start_at >= start, Booking.start_at < end)
    rows: dict[tuple[str, int], CourseMonth] = {}
    for booking, course in db.session.execute(query):
        key = (booking.start_at.astimezone(dt.UTC).strftime("%Y-%m"), course.id)
        line = rows.setdefault(key, CourseMonth(key[0], course.id, course.title or course.label))
        line.sessions += 1
        line.minutes += booking.duration_min
        if booking.state == BookingState.COMPLETED:
            line.completed += 1
        elif booking.state == BookingState.NO_SHOW:
            line.no_show += 1
        else:
            line.upcoming += 1
    return [rows[key] for key in sorted(rows)]


@click.group("payments")
def payments_group() -> None:
    """Payments: reports for institutions."""


@payments_group.command("institution-report")
@click.option("--month", metavar="YYYY-MM", help="Only sessions starting in this month (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def institution_report_command(month: str | None, as_json: bool) -> None:
    """Sessions per course and month for institution-paid courses."""
    if month:
        _month_bounds(month)  # refuse a bad month before touching the database
    lines = institution_report(month)
    if as_json:
        click.echo(json.dumps([asdict(line) for line in lines], indent=2))
        return
    if not lines:
        click.echo("No sessions in institution-paid courses" + (f" in {month}." if month else "."))
        return
    click.echo("month\tcourse_id\tcourse\tsessions\tcompleted\tno_show\tupcoming\tminutes")
    for line in lines:
        click.echo(
            f"{line.month}\t{line.course_id}\t{line.course}\t{line.sessions}\t"
            f"{line.completed}\t{line.no_show}\t{line.upcoming}\t{line.minutes}"
        )
