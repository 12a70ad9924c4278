"""Booking, reading, cancelling and moving sessions as JSON.

Every input is checked before the booking service is asked, so a bad request changes
nothing. Times go out in UTC and in the viewer's own zone (``User.timezone``, UTC if unset).
"""

from __future__ import annotations

import datetime as dt
import logging
import typing as t

import sqlalchemy as sa
from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from lti_tool.auth import current_user
from lti_tool.auth import require_user
from lti_tool.booking import BookingError
from lti_tool.booking import booking_service
from lti_tool.booking import current_time
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Course
from lti_tool.models import Enrollment
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.rate_limits import BOOKINGS
from lti_tool.scheduling.listing import occupying
from lti_tool.web.errors import error_response
from lti_tool.web.input_guard import MAX_ID
from lti_tool.web.input_guard import BadInput
from lti_tool.web.input_guard import check_year
from lti_tool.web.input_guard import parse_json_object
from lti_tool.web.input_guard import whole_number
from lti_tool.web.pages import open_checkout
from lti_tool.web.slots_api import ApiError
from lti_tool.web.slots_api import utc_text
from lti_tool.web.slots_api import zone

log = logging.getLogger(__name__)
bp = Blueprint("bookings_api", __name__, url_prefix="/api/v1")

OPEN_STATES = (BookingState.HELD, BookingState.CONFIRMED)
MAX_LIST = 500
NO_SUCH_BOOKING = "no booking with this id that you take part in"


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> tuple[Response | str, int]:
    return error_response(exc.status, exc.error, exc.detail)


@bp.errorhandler(BookingError)
def _booking_error(exc: BookingError) -> tuple[Response | str, int]:
    return error_response(exc.status, exc.code, exc.message)


def _me() -> User:
    user = current_user()
    assert user is not None  # require_user has refused anonymous requests
    return user


def _body() -> dict[str, t.Any]:
    if not request.is_json:
        raise ApiError(400, "bad_request", "send a JSON object with Content-Type application/json")
    try:
        return parse_json_object(request.get_data(cache=True))
    except BadInput as exc:
        raise ApiError(400, "bad_request", str(exc)) from None


def _int_field(body: dict[str, t.Any], field: str, *, required: bool = True) -> int | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise ApiError(
            400, "bad_request", f"{field}: expected a positive whole number up to {MAX_ID}"
        )
    return value


def _start_field(body: dict[str, t.Any]) -> dt.datetime:
    value = body.get("start")
    try:
        start = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        start = None
    if start is None:
        raise ApiError(400, "bad_start", "start: expected ISO 8601 such as 2026-05-04T09:00+02:00")
    if start.tzinfo is None or start.utcoffset() is None:
        raise ApiError(400, "naive_start", "start: give a UTC offset (+02:00 or Z)")
    try:
        check_year(start, "start")
    except BadInput as exc:
        raise ApiError(400, "bad_start", str(exc)) from None
    return start


def booking_json(booking: Booking, viewer: User) -> dict[str, t.Any]:
    tz = viewer.timezone or "UTC"
    local = zone(tz)
    hold = booking.hold_expires_at if booking.state == BookingState.HELD else None
    return {
        "id": booking.id,
        "uid": booking.uid,
        "state": booking.state.value,
        "tutor": {
            "id": booking.tutor_id,
            "name": booking.tutor.user.display_name,
            "timezone": booking.tutor.timezone,
        },
        "learner": {"id": booking.learner_id, "name": booking.learner.display_name},
        "subject": {"slug": booking.subject.slug, "name": booking.subject.name},
        "duration": booking.duration_min,
        "timezone": tz,
        "start": booking.start_at.astimezone(local).isoformat(),
        "end": booking.end_at.astimezone(local).isoformat(),
        "start_utc": utc_text(booking.start_at),
        "end_utc": utc_text(booking.end_at),
        "hold_expires_at": utc_text(hold) if hold is not None else None,
        "price_cents": booking.price_cents,
        "currency": booking.currency,
        "sequence": booking.sequence,
        "cancel_reason": booking.cancel_reason,
        "invite_url": f"/bookings/{booking.id}/invite.ics",
    }


def _visible_booking(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    me = _me()
    if booking is None or (
        me.id not in {booking.learner_id, booking.tutor.user_id} and not me.has_role(RoleName.ADMIN)
    ):
        # One answer for a stranger's booking and a missing one, so ids cannot be probed.
        raise ApiError(404, "unknown_booking", NO_SUCH_BOOKING)
    return booking


def _course_field(body: dict[str, t.Any], me: User) -> Course | None:
    """The LMS course the booking is made from; the learner must be enrolled in it."""
    course_id = _int_field(body, "course_id", required=False)
    if course_id is None:
        return None
    course = db.session.get(Course, course_id)
    enrolled = db.session.scalar(
        sa.select(Enrollment.id).where(
            Enrollment.course_id == course_id, Enrollment.user_id == me.id
        )
    )
    if course is None or enrolled is None:
        # One answer for both, so the API does not tell which course ids exist.
        raise ApiError(
            403, "not_enrolled", f"course_id: you are not enrolled in course {course_id}"
        )
    return course


def _checkout_url(booking: Booking, *, release_on_failure: bool) -> str | None:
    """Send a held booking to the payment provider; the URL the learner pays at.

    For a new hold, a provider that fails leaves nothing half-done: the hold is cancelled, so
    its slot is free again at once, and the learner is told why (the provider's refusal) or
    to try again. For a hold that already stood (it was moved), the answer is None instead:
    the booking page offers to try again, and the hold runs out if nobody does.
    """
    try:
        return open_checkout(booking).redirect_url
    except Exception as exc:
        log.exception("payment provider could not start checkout for booking %s", booking.id)
        if not release_on_failure:
            return None
        if booking.state == BookingState.HELD:
            booking_service().cancel(booking, None, "The payment could not be started.")
        if isinstance(exc, BookingError):
            raise
        raise ApiError(
            502,
            "payment_unavailable",
            "The payment service could not be reached, so nothing was booked; try again shortly.",
        ) from None


@bp.post("/bookings")
@require_user
def create_booking() -> tuple[Response, int, dict[str, str]]:
    """``{tutor_id, subject, start, duration, course_id?}``: 201 with the booking, 409 when
    taken. A booking that must be paid first is ``held``, and the body's ``redirect_url`` is
    where the learner pays."""
    # Counted before anything is read: every attempt costs a lock on the tutor's week and
    # perhaps a checkout at the payment provider, whether or not it ends in a booking.
    BOOKINGS.enforce(f"user:{_me().id}", "Too many booking requests; try again later.")
    body = _body()
    tutor_id = _int_field(body, "tutor_id")
    duration = _int_field(body, "duration")
    start = _start_field(body)
    slug = body.get("subject")
    if not isinstance(slug, str) or not slug:
        raise ApiError(400, "bad_request", "subject: expected a subject slug")
    tutor = db.session.get(TutorProfile, tutor_id)
    if tutor is None:
        raise ApiError(400, "unknown_tutor", f"tutor_id: no tutor {tutor_id}")
    subject = db.session.scalar(sa.select(Subject).where(Subject.slug == slug))
    if subject is None:
        raise ApiError(400, "unknown_subject", f"subject: no subject {slug!r}")
    me = _me()
    course = _course_field(body, me)
    booking = booking_service().book(me, tutor, subject, start, t.cast(int, duration), course)
    held = booking.state == BookingState.HELD
    redirect_url = _checkout_url(booking, release_on_failure=True) if held else None
    answer = {**booking_json(booking, me), "redirect_url": redirect_url}
    return jsonify(answer), 201, {"Location": f"/api/v1/bookings/{booking.id}"}


@bp.get("/bookings/<int:booking_id>")
@require_user
def get_booking(booking_id: int) -> Response:
    return jsonify(booking_json(_visible_booking(booking_id), _me()))


@bp.delete("/bookings/<int:booking_id>")
@require_user
def cancel_booking(booking_id: int) -> Response:
    """Cancel; the reason comes from a JSON body ``{"reason"}`` or ``?reason=``."""
    booking = _visible_booking(booking_id)
    body = request.get_json(silent=True)
    reason = body.get("reason") if isinstance(body, dict) else request.args.get("reason")
    if reason is None:
        reason = ""
    if not isinstance(reason, str) or len(reason) > 1000:
        raise ApiError(400, "bad_request", "reason: at most 1000 characters of text")
    booking_service().cancel(booking, _me(), reason)
    return jsonify(booking_json(booking, _me()))


@bp.post("/bookings/<int:booking_id>/reschedule")
@require_user
def reschedule_booking(booking_id: int) -> Response:
    """``{start, duration?}``: the same booking at another free time."""
    body = _body()
    start = _start_field(body)
    duration = _int_field(body, "duration", required=False)
    booking = _visible_booking(booking_id)
    booking_service().reschedule(booking, start, duration, by=_me())
    answer = booking_json(booking, _me())
    if booking.state == BookingState.HELD:
        # A move can change the price; the learner pays at whatever checkout now fits it.
        answer["redirect_url"] = _checkout_url(booking, release_on_failure=False)
    return jsonify(answer)


@bp.post("/bookings/<int:booking_id>/attendance")
@require_user
def record_attendance(booking_id: int) -> Response:
    """``{attended: true|false}``: the tutor records, once the session has started, whether it
    took place; the LMS gradebook hears of it through ``booking_event``."""
    attended = _body().get("attended")
    if not isinstance(attended, bool):
        raise ApiError(400, "bad_attended", "attended must be true or false")
    booking = _visible_booking(booking_id)
    me = _me()
    if me.id != booking.tutor.user_id and not me.has_role(RoleName.ADMIN):
        raise ApiError(403, "not_the_tutor", "Only the tutor of the session records attendance.")
    service = booking_service()
    if attended:
        service.complete(booking, by=me)
    else:
        service.mark_no_show(booking, by=me)
    return jsonify(booking_json(booking, me))


@bp.get("/me/bookings")
@require_user
def my_bookings() -> Response:
    """``?when=upcoming`` (default; open and not yet over, soonest first) or ``past``
    (everything else, latest first), as learner and as tutor; ``limit`` up to 500."""
    when = request.args.get("when", "upcoming")
    if when not in {"upcoming", "past"}:
        raise ApiError(400, "bad_request", "when: expected upcoming or past")
    try:
        limit = whole_number(request.args.get("limit", "100"), "limit", low=1, high=MAX_LIST)
    except BadInput as exc:
        raise ApiError(400, "bad_request", str(exc)) from None
    me, now = _me(), current_time()
    mine = sa.or_(
        Booking.learner_id == me.id,
        Booking.tutor_id.in_(sa.select(TutorProfile.id).where(TutorProfile.user_id == me.id)),
    )
    upcoming = sa.and_(Booking.state.in_(OPEN_STATES), occupying(now), Booking.end_at > now)
    query = sa.select(Booking).where(mine)
    if when == "upcoming":
        query = query.where(upcoming).order_by(Booking.start_at, Booking.id)
    else:
        query = query.where(sa.not_(upcoming)).order_by(Booking.start_at.desc(), Booking.id)
    bookings = db.session.scalars(query.limit(limit)).unique().all()
    return jsonify({"when": when, "bookings": [booking_json(b, me) for b in bookings]})
