"""A tutor's public profile, their availability settings as JSON, and the page that edits them."""

from __future__ import annotations

import typing as t

from flask import Blueprint
from flask import Response
from flask import abort
from flask import jsonify
from flask import render_template
from flask import request
from flask import url_for

from lti_tool import money
from lti_tool.auth import current_user
from lti_tool.models import RoleName
from lti_tool.models import TutorProfile
from lti_tool.models import db
from lti_tool.tutors.fields import TutorSettingsError
from lti_tool.tutors.fields import timezones
from lti_tool.tutors.settings import DAY_NAMES
from lti_tool.tutors.settings import SETTING_KEYS
from lti_tool.tutors.settings import save_settings
from lti_tool.tutors.settings import settings_dict

bp = Blueprint("tutor_settings", __name__)

#: What the availability endpoint changes; subjects, languages and price are profile matters.
AVAILABILITY_KEYS = SETTING_KEYS - {"subjects", "languages", "price"}


def _tutor(tutor_id: int) -> TutorProfile:
    profile = db.session.get(TutorProfile, tutor_id)
    if profile is None:
        abort(404, description="No such tutor.")
    return profile


def _editable(tutor_id: int) -> TutorProfile:
    """The tutor, when the signed-in person is that tutor or an admin."""
    user = current_user()
    if user is None:
        abort(401, description="Sign in first.")
    profile = _tutor(tutor_id)
    if profile.user_id != user.id and not user.has_role(RoleName.ADMIN):
        abort(403, description="Only the tutor or an admin can see or change these settings.")
    return profile


def public_profile(profile: TutorProfile) -> dict[str, t.Any]:
    currency = money.site_currency()
    return {
        "id": profile.id,
        "name": profile.user.display_name,
        "headline": profile.headline,
        "timezone": profile.timezone,
        "subjects": [
            {"slug": link.subject.slug, "name": link.subject.name, "level": link.level}
            for link in sorted(profile.subjects, key=lambda link: link.subject.name)
        ],
        "languages": profile.languages,
        "price": money.format_amount(profile.price_cents, currency),
        "price_cents": profile.price_cents,
        "currency": currency,
        "session_lengths": profile.session_lengths,
    }


@bp.get("/api/v1/tutors/<int:tutor_id>")
def tutor(tutor_id: int) -> Response:
    """What a learner may know about a tutor before booking."""
    profile = _tutor(tutor_id)
    if not profile.is_active:
        abort(404, description="No such tutor.")
    return jsonify(public_profile(profile))


@bp.get("/api/v1/tutors/<int:tutor_id>/availability")
def availability(tutor_id: int) -> Response:
    return jsonify(settings_dict(_editable(tutor_id)))


@bp.put("/api/v1/tutors/<int:tutor_id>/availability")
def update_availability(tutor_id: int) -> Response | tuple[Response, int]:
    """Change the given settings; rules and exceptions are replaced as whole lists."""
    profile = _editable(tutor_id)
    # Requiring a JSON body also keeps plain cross-site form posts out.
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="Send a JSON object with Content-Type: application/json.")
    try:
        unknown = sorted(set(body) - AVAILABILITY_KEYS)
        if unknown:
            raise TutorSettingsError(unknown[0], "is not an availability setting")
        save_settings(profile, body, currency=money.site_currency())
    except TutorSettingsError as exc:
        db.session.rollback()
        detail = {"error": "Bad Request", "detail": str(exc), "field": exc.field}
        return jsonify(detail), 400
    return jsonify(settings_dict(profile))


@bp.get("/tutor/availability")
def availability_page() -> str:
    """The signed-in tutor's weekly hours, exceptions and booking rules, in their own zone."""
    user = current_user()
    if user is None:
        abort(401, description="Sign in first.")
    profile = user.tutor_profile
    if profile is None:
        abort(403, description="This page is for tutors.")
    data = {
        "api": url_for(".update_availability", tutor_id=profile.id),
        "settings": settings_dict(profile),
    }
    return render_template(
        "tutor_availability.html",
        profile=profile,
        settings=data["settings"],
        data=data,
        zones=sorted(timezones()),
        weekdays=DAY_NAMES,
    )
