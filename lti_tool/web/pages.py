"""The pages of the tutoring flow, shared by LMS launches and the standalone site.

Times are rendered in the viewer's zone (``User.timezone``, which the browser reports and the
person may change), with the tutor's own wall-clock time beside them.
"""

from __future__ import annotations

import datetime as dt
import typing as t
import zoneinfo

import pendulum
import sqlalchemy as sa
from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.auth import current_user
from lti_tool.auth import end_every_session
from lti_tool.auth import require_user
from lti_tool.auth import sign_in
from lti_tool.auth import sign_out
from lti_tool.booking import current_time
from lti_tool.lti.protocol.session import room_needs_own_window
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Payment
from lti_tool.models import PaymentRefund
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.payments import payment_provider
from lti_tool.plugins import pm
from lti_tool.web.redirects import local_path

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.payments import CheckoutStart

bp = Blueprint("pages", __name__)


def viewer_zone() -> str:
    user = current_user()
    return (user.timezone if user and user.timezone else None) or "UTC"


@bp.app_template_filter("local")
def local_time(
    instant: dt.datetime, zone: str | None = None, fmt: str = "ddd D MMM YYYY, HH:mm"
) -> str:
    """Format an instant in *zone* (the viewer's by default), with the zone's abbreviation."""
    moment = pendulum.instance(instant).in_timezone(zone or viewer_zone())
    return f"{moment.format(fmt)} {moment.tzname()}"


def sign_in_href() -> str | None:
    """Where the sign-in link of this page leads, back to this page; None when nowhere."""
    url: str | None = pm.hook.sign_in_url(next_url=request.full_path.rstrip("?"))
    return url


@bp.app_context_processor
def inject_viewer() -> dict[str, t.Any]:
    return {"viewer": current_user(), "viewer_zone": viewer_zone(), "sign_in_href": sign_in_href}


def _participant_or_404(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    user = current_user()
    if (
        booking is None
        or user is None
        or (
            user.id not in {booking.learner_id, booking.tutor.user_id}
            and not user.has_role(RoleName.ADMIN)
        )
    ):
        # The same answer whether the booking is missing or someone else's, so ids
        # cannot be probed.
        abort(404, description="No such booking.")
    return booking


@bp.get("/tutors/<int:tutor_id>")
def tutor_page(tutor_id: int) -> str:
    """A tutor's profile with the slot picker."""
    tutor = db.session.get(TutorProfile, tutor_id)
    if tutor is None or not tutor.is_active:
        abort(404, description="No such tutor.")
    subject_slug = request.args.get("subject") or (
        tutor.subjects[0].subject.slug if tutor.subjects else ""
    )
    return render_template("tutor.html", tutor=tutor, subject_slug=subject_slug)


@bp.get("/subjects/<slug>")
def subject_page(slug: str) -> str:
    """Tutors of a subject, best first, and free times across all of them."""
    subject = db.session.scalar(sa.select(Subject).where(Subject.slug == slug))
    if subject is None:
        abort(404, description=f"No subject {slug!r}.")
    tutors = pm.hook.recommend_tutors(learner=current_user(), subject=subject, limit=24, filters={})
    return render_template("subject.html", subject=subject, tutors=tutors)


@bp.get("/bookings/<int:booking_id>")
@require_user
def booking_page(booking_id: int) -> str:
    """A booking's confirmation, with the invite and what can still be changed."""
    booking = _participant_or_404(booking_id)
    payments = db.session.scalars(
        sa.select(Payment).where(Payment.booking_id == booking.id).order_by(Payment.id)
    ).all()
    refunds = (
        db.session.scalars(
            sa.select(PaymentRefund)
            .where(PaymentRefund.payment_id.in_([p.id for p in payments]))
            .order_by(PaymentRefund.id)
        ).all()
        if payments
        else []
    )
    return render_template(
        "booking.html",
        booking=booking,
        states=BookingState,
        now=current_time(),
        payments=payments,
        refunds=refunds,
        checkout_unavailable=request.args.get("checkout") == "unavailable",
        room_own_window=room_needs_own_window(),
    )


@bp.post("/bookings/<int:booking_id>/pay")
@require_user
def pay_for_booking(booking_id: int) -> BaseResponse:
    """Continue to payment for a held booking: the checkout already open at its price, or a
    new one when there is none (its first one was never created, or the price changed)."""
    booking = _participant_or_404(booking_id)
    back = url_for("pages.booking_page", booking_id=booking.id)
    if current_user() != booking.learner:
        abort(403, description="Only the learner pays for a session.")
    if booking.state != BookingState.HELD:
        return redirect(back)
    try:
        start = open_checkout(booking)
    except Exception:
        current_app.logger.exception("checkout for booking %s could not start", booking.id)
        return redirect(back + "?checkout=unavailable")
    return redirect(start.redirect_url or back)


def open_checkout(booking: Booking) -> CheckoutStart:
    """Ask the site's payment provider for *booking*'s checkout, coming back to its page.

    :raises Exception: whatever the provider raises when it cannot open one.
    """
    return payment_provider().start_checkout(
        booking, url_for("pages.booking_page", booking_id=booking.id, _external=True)
    )


@bp.get("/sessions")
@require_user
def sessions_page() -> str:
    """Upcoming and past sessions, as learner and as tutor."""
    user = current_user()
    assert user is not None
    now = dt.datetime.now(dt.UTC)
    mine = sa.or_(
        Booking.learner_id == user.id,
        Booking.tutor_id.in_(sa.select(TutorProfile.id).where(TutorProfile.user_id == user.id)),
    )
    shown = (
        BookingState.HELD,
        BookingState.CONFIRMED,
        BookingState.COMPLETED,
        BookingState.NO_SHOW,
    )
    upcoming = db.session.scalars(
        sa.select(Booking)
        .where(mine, Booking.end_at > now, Booking.state.in_(shown))
        .order_by(Booking.start_at)
    ).all()
    past = db.session.scalars(
        sa.select(Booking)
        .where(mine, Booking.end_at <= now)
        .order_by(Booking.start_at.desc())
        .limit(50)
    ).all()
    return render_template("sessions.html", upcoming=upcoming, past=past, user=user)


@bp.get("/rooms/<int:booking_id>")
@require_user
def room_page(booking_id: int) -> str:
    """The video room of a booking."""
    booking = _participant_or_404(booking_id)
    user = current_user()
    room = pm.hook.room_for_booking(booking=booking, user=user)
    return render_template("room.html", booking=booking, room=room)


@bp.post("/api/v1/me/timezone")
@require_user
def save_timezone() -> Response | tuple[Response, int]:
    """Remember the zone the viewer's browser reported or they picked."""
    payload = request.get_json(silent=True)
    zone = payload.get("timezone") if isinstance(payload, dict) else None
    if not isinstance(zone, str) or zone not in zoneinfo.available_timezones():
        return jsonify({"error": "bad_timezone", "detail": f"unknown IANA timezone {zone!r}"}), 400
    user = current_user()
    assert user is not None
    user.timezone = zone
    db.session.commit()
    return jsonify({"timezone": zone})


def _demo_pages_allowed() -> None:
    if current_app.config["MODE"] != "development":
        abort(404)


@bp.get("/dev/sign-in")
def dev_sign_in_page() -> str:
    """Development only: become any demo person, to walk through the flow."""
    _demo_pages_allowed()
    people = db.session.scalars(sa.select(User).order_by(User.name).limit(200)).all()
    return render_template("dev_sign_in.html", people=people)


@bp.post("/dev/sign-in")
def dev_sign_in() -> BaseResponse:
    _demo_pages_allowed()
    user = db.session.get(User, request.form.get("user_id", type=int))
    if user is None:
        abort(400, description="Pick someone to sign in as.")
    sign_in(user)
    return redirect(local_path(request.form.get("next")) or url_for("pages.sessions_page"))


@bp.post("/sign-out")
def sign_out_view() -> BaseResponse:
    """Sign out. The session cookie carries everything itself, so clearing it in this browser
    would leave a copy of it (taken from a shared computer, say) working: signing out ends
    every session of the person instead."""
    user = current_user()
    if user is not None:
        end_every_session(user)
    sign_out()
    return redirect(url_for("core.home"))
