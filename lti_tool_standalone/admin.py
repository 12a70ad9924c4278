"""``/admin``: LMS registrations, subjects, people, bookings, refunds and a weekly chart.

Every page needs the admin role. Registrations are read-only here; the ``lti-tool platform``
commands change them.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.wrappers import Response

from lti_tool.api import Booking
from lti_tool.api import Payment
from lti_tool.api import PaymentRefund
from lti_tool.api import Registration
from lti_tool.api import RoleName
from lti_tool.api import Subject
from lti_tool.api import TutorSubject
from lti_tool.api import User
from lti_tool.api import current_time
from lti_tool.api import db
from lti_tool.api import never_framed
from lti_tool.api import require_role
from lti_tool.api import slugify
from lti_tool_standalone.chart import bar_chart
from lti_tool_standalone.chart import sessions_per_week

bp = never_framed(Blueprint("site_admin", __name__, url_prefix="/admin"))
LISTED = 200


@bp.before_request
@require_role(RoleName.ADMIN)
def only_admins() -> None:
    """Refuse anyone but an admin before any page of this blueprint runs."""


@bp.get("/")
def overview() -> str:
    counts = {
        "people": db.session.scalar(sa.select(sa.func.count()).select_from(User)),
        "bookings": db.session.scalar(sa.select(sa.func.count()).select_from(Booking)),
        "registrations": db.session.scalar(sa.select(sa.func.count()).select_from(Registration)),
        "subjects": db.session.scalar(sa.select(sa.func.count()).select_from(Subject)),
    }
    weeks = sessions_per_week(current_time())
    chart = bar_chart(weeks, "Sessions per week")
    return render_template(
        "standalone/admin/overview.html", counts=counts, chart=chart, weeks=weeks
    )


@bp.get("/registrations")
def registrations() -> str:
    rows = db.session.scalars(
        sa.select(Registration).order_by(Registration.issuer, Registration.client_id)
    ).all()
    return render_template("standalone/admin/registrations.html", registrations=rows)


def _subjects_page(error: str = "", name: str = "", status: int = 200) -> tuple[str, int]:
    tutors = sa.func.count(TutorSubject.tutor_id)
    rows = db.session.execute(
        sa.select(Subject, tutors)
        .outerjoin(TutorSubject, TutorSubject.subject_id == Subject.id)
        .group_by(Subject.id)
        .order_by(Subject.name)
    ).all()
    page = render_template("standalone/admin/subjects.html", rows=rows, error=error, name=name)
    return page, status


@bp.get("/subjects")
def subjects() -> tuple[str, int]:
    return _subjects_page()


@bp.post("/subjects")
def add_subject() -> Response | tuple[str, int]:
    name = request.form.get("name", "").strip()
    description = request.form.get("description", "").strip()
    slug = slugify(request.form.get("slug", "").strip() or name)
    if not name or len(name) > 120 or not slug:
        return _subjects_page("Give the subject a name of up to 120 characters.", name, 400)
    taken = db.session.scalar(
        sa.select(Subject.id).where(sa.or_(Subject.slug == slug, Subject.name == name))
    )
    if taken is not None:
        return _subjects_page(f"A subject named {name!r} or {slug!r} exists already.", name, 409)
    db.session.add(Subject(slug=slug, name=name, description=description[:2000]))
    db.session.commit()
    flash(f"Added {name}.", "success")
    return redirect(url_for(".subjects"))


@bp.get("/users")
def users() -> str:
    rows = db.session.scalars(sa.select(User).order_by(User.created_at.desc()).limit(LISTED)).all()
    return render_template("standalone/admin/users.html", users=rows)


@bp.get("/bookings")
def bookings() -> str:
    rows = db.session.scalars(
        sa.select(Booking).order_by(Booking.start_at.desc()).limit(LISTED)
    ).all()
    return render_template("standalone/admin/bookings.html", bookings=rows)


@bp.get("/refunds")
def refunds() -> str:
    """Every refund attempt, newest first: those that failed for good need a person."""
    rows = db.session.execute(
        sa.select(PaymentRefund, Payment, Booking)
        .join(Payment, Payment.id == PaymentRefund.payment_id)
        .join(Booking, Booking.id == Payment.booking_id)
        .order_by(PaymentRefund.id.desc())
        .limit(LISTED)
    ).all()
    retried = {refund.retry_of_id for refund, _, _ in rows if refund.retry_of_id}
    return render_template("standalone/admin/refunds.html", rows=rows, retried=retried)
