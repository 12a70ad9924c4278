"""Becoming a tutor: a profile through the core's own settings check, then the hours page.

Payouts go through the payment provider's ``payout_onboarding_url(tutor)`` when it pays tutors
out (``pays_out_tutors``); otherwise the site says plainly that payouts are not set up.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import Blueprint
from flask import abort
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.wrappers import Response

from lti_tool.api import RoleName
from lti_tool.api import Subject
from lti_tool.api import TutorProfile
from lti_tool.api import TutorSettingsError
from lti_tool.api import User
from lti_tool.api import current_user
from lti_tool.api import db
from lti_tool.api import money
from lti_tool.api import payment_provider
from lti_tool.api import require_user
from lti_tool.api import save_settings
from lti_tool.api import timezones

bp = Blueprint("onboarding", __name__)


def payout_starter() -> t.Callable[[TutorProfile], str | None] | None:
    """The payment provider's ``payout_onboarding_url``, when it pays tutors out."""
    provider = payment_provider()
    return provider.payout_onboarding_url if provider.pays_out_tutors else None


def _signed_in() -> User:
    user = current_user()
    assert user is not None  # require_user has checked
    return user


def _form_data() -> dict[str, t.Any]:
    return {
        "timezone": request.form.get("timezone", ""),
        "subjects": request.form.getlist("subjects"),
        "languages": [
            code.strip() for code in request.form.get("languages", "").split(",") if code.strip()
        ],
        "price": request.form.get("price", "").strip(),
    }


@bp.route("/become-a-tutor", methods=["GET", "POST"])
@require_user
def become_tutor() -> Response | str | tuple[str, int]:
    """Create the signed-in person's tutor profile, then continue to their weekly hours."""
    user = _signed_in()
    if user.tutor_profile is not None:
        return redirect(url_for("tutor_settings.availability_page"))
    subjects = db.session.scalars(sa.select(Subject).order_by(Subject.name)).all()
    headline = request.form.get("headline", "").strip()
    data = _form_data() if request.method == "POST" else {}
    context = {
        "subjects": subjects,
        "zones": sorted(timezones()),
        "data": data,
        "headline": headline,
        "default_zone": user.timezone or "UTC",
    }
    if request.method == "GET":
        return render_template("standalone/become_tutor.html", error=None, **context)
    error: tuple[str, str] | None = None
    if len(headline) > 200:
        error = ("headline", "Keep the headline under 200 characters.")
    elif not data["subjects"]:
        error = ("subjects", "Pick at least one subject you teach.")
    if error is None:
        profile = TutorProfile(user=user, timezone=user.timezone or "UTC", headline=headline)
        db.session.add(profile)
        try:
            # The core's validator decides; nothing is written unless every value passes.
            save_settings(profile, data, currency=money.site_currency())
        except TutorSettingsError as exc:
            db.session.rollback()
            field = exc.field.split("[")[0]
            error = (field, f"{field.capitalize()}: {exc.message}")
    if error is not None:
        return render_template("standalone/become_tutor.html", error=error, **context), 400
    user.add_role(RoleName.TUTOR)
    db.session.commit()
    return redirect(url_for("tutor_settings.availability_page", welcome=1))


@bp.post("/tutor/payouts")
@require_user
def start_payouts() -> Response:
    """Send the tutor to the payment provider to receive their share of each session."""
    tutor = _signed_in().tutor_profile
    if tutor is None:
        abort(403, description="This is for tutors.")
    starter = payout_starter()
    url = starter(tutor) if starter is not None else None
    if not url:
        abort(404, description="Payouts are not configured on this site.")
    return redirect(url)
