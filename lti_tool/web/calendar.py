"""Calendar files: one booking's invite, each person's secret feed, and rotating that feed."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import Blueprint
from flask import Response
from flask import abort
from flask import jsonify

from lti_tool import calendar as ical
from lti_tool.auth import current_user
from lti_tool.auth import require_user
from lti_tool.database import write_transaction
from lti_tool.models import Booking
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.rate_limits import CALENDAR_TOKEN_ROTATIONS

bp = Blueprint("calendar", __name__)


def _ics(body: bytes, filename: str, method: str | None = None) -> Response:
    mimetype = "text/calendar; charset=utf-8" + (f"; method={method}" if method else "")
    response = Response(body, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The body names people and a private room; shared caches must not keep it.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/bookings/<int:booking_id>/invite.ics")
@require_user
def booking_invite(booking_id: int) -> Response:
    """The invite for one booking; a cancelled booking gives a cancellation."""
    user = current_user()
    booking = db.session.get(Booking, booking_id)
    assert user is not None
    if booking is None or user.id not in (booking.learner_id, booking.tutor.user_id):
        # Only the tutor and the learner get the invite; anyone else cannot tell whether
        # the booking exists.
        abort(404, description="No such booking.")
    method: ical.Method = "CANCEL" if booking.state in ical.CANCELLED_STATES else "REQUEST"
    return _ics(ical.booking_invite(booking, method), f"booking-{booking.id}.ics", method)


@bp.get("/calendar/<token>.ics")
def feed(token: str) -> Response:
    """Everything the token's owner teaches or attends; the token is the only credential."""
    user = db.session.scalar(sa.select(User).where(User.calendar_token == token))
    if user is None or not user.is_active:
        abort(404, description="No calendar at this address; it may have been replaced.")
    return _ics(ical.user_feed(user), "tutoring.ics")


@bp.get("/api/v1/me/calendar-token")
@require_user
def feed_address() -> Response:
    """The signed-in person's current feed URL."""
    user = current_user()
    assert user is not None
    return jsonify({"url": ical.feed_url(user)})


@bp.post("/api/v1/me/calendar-token")
@require_user
def rotate_feed_token() -> Response:
    """Give the signed-in person a new feed URL; the old one stops working at once."""
    user = current_user()
    assert user is not None
    CALENDAR_TOKEN_ROTATIONS.enforce(
        f"user:{user.id}", "The calendar address was replaced too often; try again later."
    )
    with write_transaction(db.session()):
        user.calendar_token = secrets.token_urlsafe(24)
    return jsonify({"url": ical.feed_url(user)})
