"""``GET /api/v1/recommendations``: ranked tutors with a reason each.

This is the data of a "Recommended for you" block. It asks ``recommend_tutors`` like every
other caller, so the popularity ranking answers when no model is in use; the free-time
filter is applied here as well, because that ranking does not know it.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t

import sqlalchemy as sa
from flask import Blueprint
from flask import Flask
from flask import Response
from flask import current_app
from flask import jsonify
from flask import request
from flask import url_for
from flask.blueprints import BlueprintSetupState

from lti_tool.api import MAX_ID
from lti_tool.api import BadInput
from lti_tool.api import Subject
from lti_tool.api import TutorProfile
from lti_tool.api import TutorSettingsError
from lti_tool.api import User
from lti_tool.api import current_time
from lti_tool.api import current_user
from lti_tool.api import db
from lti_tool.api import error_response
from lti_tool.api import first_free_slots
from lti_tool.api import hooks
from lti_tool.api import parse_price
from lti_tool.api import whole_number
from lti_tool_recommend.reasons import reasons_for
from lti_tool_recommend.store import plugin_state

bp = Blueprint("recommend_api", __name__, url_prefix="/api/v1")
MAX_LIMIT = 50
MAX_DAYS = 60
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")


@bp.record_once
def _check_settings(state: BlueprintSetupState) -> None:
    # Reading the settings while the app is assembled makes a wrong value stop start-up.
    plugin_state(t.cast(Flask, state.app))


class BadQuery(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@bp.errorhandler(BadQuery)
def _bad_query(exc: BadQuery) -> tuple[Response | str, int]:
    return error_response(400, "bad_query", exc.detail)


def _whole(name: str, default: int | None, low: int, high: int) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    try:
        return whole_number(value, name, low=low, high=high)
    except BadInput as exc:
        raise BadQuery(str(exc)) from None


def _subject() -> Subject | None:
    key = request.args.get("subject", "").strip()
    if not key:
        return None
    try:
        where = Subject.id == whole_number(key, "subject", low=1, high=MAX_ID)
    except BadInput:
        # Not an id, so it names the subject by its slug.
        where = Subject.slug == key.lower()
    subject = db.session.scalar(sa.select(Subject).where(where))
    if subject is None:
        raise BadQuery(f"subject: no subject {key!r}")
    return subject


def _filters() -> dict[str, t.Any]:
    filters: dict[str, t.Any] = {}
    if language := request.args.get("language", "").strip().lower():
        if not _LANGUAGE.fullmatch(language):
            raise BadQuery(f"language: {language!r} is not a language code such as 'es'")
        filters["language"] = language
    if price := request.args.get("max_price", "").strip():
        try:
            filters["max_price_cents"] = parse_price(
                price, "max_price", currency=current_app.config["CURRENCY"]
            )
        except TutorSettingsError as exc:
            raise BadQuery(str(exc)) from None
    days = _whole("free_within_days", None, 1, MAX_DAYS)
    if days is not None:
        filters["free_within_days"] = days
    return filters


def _tutor_json(tutor: TutorProfile, reason: str, free: dt.datetime | None) -> dict[str, t.Any]:
    return {
        "id": tutor.id,
        "name": tutor.user.display_name,
        "headline": tutor.headline,
        "timezone": tutor.timezone,
        "languages": tutor.languages,
        "price_cents": tutor.price_cents,
        "currency": current_app.config["CURRENCY"],
        "subjects": [
            {"slug": link.subject.slug, "name": link.subject.name, "level": link.level}
            for link in tutor.subjects
        ],
        "next_free": free.isoformat() if free is not None else None,
        "reason": reason,
        "url": url_for("pages.tutor_page", tutor_id=tutor.id),
    }


@bp.get("/recommendations")
def recommendations() -> Response:
    """Query: ``subject`` (slug or id), ``limit`` (1-50, default 10), ``language``,
    ``max_price`` (per hour, currency units), ``free_within_days`` (1-60)."""
    subject = _subject()
    limit = t.cast(int, _whole("limit", 10, 1, MAX_LIMIT))
    filters = _filters()
    learner = current_user()
    now = current_time()
    days = filters.get("free_within_days")
    # Asking for more than shown leaves room for the free-time check below.
    wanted = limit if days is None else min(3 * limit, 3 * MAX_LIMIT)
    tutors = hooks.recommend_tutors(
        learner=learner, subject=subject, limit=wanted, filters=dict(filters)
    )
    tutors = list(tutors or [])
    state = plugin_state()
    horizon = max(days or 0, state.settings.reason_days)
    free = first_free_slots(db.session(), [tutor.id for tutor in tutors], now, horizon)
    if days is not None:
        cutoff = now + dt.timedelta(days=days)
        tutors = [tutor for tutor in tutors if tutor.id in free and free[tutor.id] < cutoff]
    tutors = tutors[:limit]
    # One query for the tutors' names; each tutor.user then comes from the identity map.
    db.session.scalars(
        sa.select(User).where(User.id.in_([tutor.user_id for tutor in tutors]))
    ).all()
    reasons = reasons_for(
        learner, tutors, subject, language=filters.get("language"), now=now, next_free=free
    )
    model = state.store.current()
    if model is None:
        title = "Popular tutors"
    else:
        title = "Recommended for you" if learner is not None else "Recommended tutors"
    return jsonify(
        {
            "title": title,
            "ranking": "popularity" if model is None else "model",
            "model": None
            if model is None
            else {"version": model.meta["version"], "trained_at": model.meta["trained_at"]},
            "subject": None if subject is None else {"slug": subject.slug, "name": subject.name},
            "tutors": [
                _tutor_json(tutor, reason, free.get(tutor.id))
                for tutor, reason in zip(tutors, reasons, strict=True)
            ],
        }
    )
