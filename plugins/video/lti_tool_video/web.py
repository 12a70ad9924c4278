"""The plugin's blueprint: the browser client's files and a fresh room pass for the page."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify

from lti_tool.api import Booking
from lti_tool.api import current_time
from lti_tool.api import current_user
from lti_tool.api import db
from lti_tool_video import access
from lti_tool_video.room import fresh_pass
from lti_tool_video.settings import read_settings

bp = Blueprint("video", __name__, static_folder="static", static_url_path="/video/static")


@bp.get("/video/rooms/<int:booking_id>/pass")
def room_pass(booking_id: int) -> Response | tuple[Response, int]:
    """A new room token and TURN login, asked for before the old ones run out."""
    user = current_user()
    booking = db.session.get(Booking, booking_id)
    try:
        access.check_person(booking, user, read_settings(current_app), current_time())
    except access.Refused as exc:
        if user is None:
            return jsonify({"error": "refused", "detail": str(exc)}), 401
        if booking is None or access.role_of(booking, user) is None:
            # A stranger hears what a missing booking gives, so room ids cannot be probed.
            return jsonify({"error": "not_found", "detail": "no such room"}), 404
        return jsonify({"error": "refused", "detail": str(exc)}), 403
    assert booking is not None and user is not None
    response = jsonify(fresh_pass(booking, user))
    response.headers["Cache-Control"] = "no-store"
    return response
