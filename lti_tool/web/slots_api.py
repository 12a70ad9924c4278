"""Free slots as JSON: one tutor's, or every tutor's for a subject.

Dates in the query are local dates in the learner's zone ``tz``, both ends included; each
slot is given in that zone, in UTC and in the tutor's zone, so a page can show "Tue 09:00
(your time) / 15:00 for the tutor" without any zone arithmetic of its own.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import re
import typing as t

import pendulum
import sqlalchemy as sa
from flask import Blueprint
from flask import Response
from flask import current_app
from flask import request

from lti_tool.auth import current_user
from lti_tool.booking import as_utc
from lti_tool.booking import current_time
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import db
from lti_tool.scheduling.listing import subject_slot_page
from lti_tool.scheduling.listing import tutor_slots
from lti_tool.tutors.fields import TutorSettingsError
from lti_tool.tutors.fields import parse_timezone
from lti_tool.web.errors import error_response
from lti_tool.web.input_guard import MAX_ID
from lti_tool.web.input_guard import BadInput
from lti_tool.web.input_guard import check_year
from lti_tool.web.input_guard import whole_number

bp = Blueprint("slots_api", __name__, url_prefix="/api/v1")

#: The longest date range one request may ask for, in days (about a quarter).
MAX_RANGE_DAYS = 92
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ApiError(Exception):
    """A request the API refuses, with its status, short error code and reason."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> tuple[Response | str, int]:
    return error_response(exc.status, exc.error, exc.detail)


@functools.lru_cache(maxsize=1024)
def zone(name: str) -> dt.tzinfo:
    return pendulum.timezone(name)


def parse_zone(value: t.Any, field: str = "tz") -> str:
    """An IANA zone name from the list tutors choose from.

    :raises ApiError: 400 naming the value.
    """
    try:
        return parse_timezone(value, field)
    except TutorSettingsError as exc:
        raise ApiError(400, "bad_timezone", str(exc)) from None


def request_zone() -> str:
    """``tz`` from the query; else the signed-in person's zone; else UTC."""
    value = request.args.get("tz")
    if value is None:
        user = current_user()
        value = user.timezone if user is not None and user.timezone else "UTC"
    return parse_zone(value)


def parse_date(value: str | None, field: str) -> dt.date:
    if value is None:
        raise ApiError(400, "missing_parameter", f"{field}: give a date as YYYY-MM-DD")
    if _DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            try:
                check_year(day, field)
            except BadInput as exc:
                raise ApiError(400, "bad_date", str(exc)) from None
            return day
    raise ApiError(400, "bad_date", f"{field}: expected a date as YYYY-MM-DD, got {value!r}")


def parse_duration(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        # A day is far longer than any session, and keeps the window arithmetic in range.
        return whole_number(value, "duration", low=1, high=24 * 60)
    except BadInput:
        raise ApiError(400, "bad_duration", f"duration: expected minutes, got {value!r}") from None


def request_window(tz: str) -> tuple[dt.date, dt.date, dt.datetime, dt.datetime]:
    """``start``..``end`` local dates in *tz* as the UTC window [start 00:00, end+1 00:00)."""
    first = parse_date(request.args.get("start"), "start")
    last = parse_date(request.args.get("end"), "end")
    if last < first:
        raise ApiError(400, "bad_range", "end: must not be before start")
    days = (last - first).days + 1
    if days > MAX_RANGE_DAYS:
        raise ApiError(
            400, "bad_range", f"the range covers {days} days; at most {MAX_RANGE_DAYS} at once"
        )
    after = last + dt.timedelta(days=1)
    window_start = pendulum.datetime(first.year, first.month, first.day, tz=tz)
    window_end = pendulum.datetime(after.year, after.month, after.day, tz=tz)
    return first, last, as_utc(window_start, "start"), as_utc(window_end, "end")


def utc_text(moment: dt.datetime) -> str:
    """``2026-05-04T07:00:00Z``."""
    u = moment.astimezone(dt.UTC).replace(microsecond=0)
    return u.isoformat()[:-6] + "Z"


class SlotFormatter:
    """Slots as JSON objects, each instant formatted once per zone.

    A subject listing repeats the same few hundred instants across thousands of tutors, so
    remembering the text is far cheaper than converting every slot again.
    """

    def __init__(self, viewer_zone: str) -> None:
        self.viewer = zone(viewer_zone)
        self._utc: dict[dt.datetime, str] = {}
        self._local: dict[tuple[dt.datetime, str | None], str] = {}

    def utc(self, moment: dt.datetime) -> str:
        text = self._utc.get(moment)
        if text is None:
            text = self._utc[moment] = utc_text(moment)
        return text

    def local(self, moment: dt.datetime, zone_name: str | None = None) -> str:
        """*moment* in *zone_name*, or in the viewer's zone when None."""
        text = self._local.get((moment, zone_name))
        if text is None:
            where = self.viewer if zone_name is None else zone(zone_name)
            text = self._local[moment, zone_name] = moment.astimezone(where).isoformat()
        return text

    def slot(self, start: dt.datetime, end: dt.datetime, tutor_zone: str) -> dict[str, t.Any]:
        return {
            "start": self.local(start),
            "end": self.local(end),
            "start_utc": self.utc(start),
            "end_utc": self.utc(end),
            "tutor_local_start": self.local(start, tutor_zone),
        }


def compact_json(payload: dict[str, t.Any]) -> Response:
    # Large listings: skip the key sorting and indentation jsonify may apply.
    return current_app.response_class(
        json.dumps(payload, separators=(",", ":")), mimetype="application/json"
    )


@bp.get("/tutors/<int:tutor_id>/slots")
def tutor_slot_list(tutor_id: int) -> Response:
    """Free slots of one tutor: ``?start=&end=`` (dates), ``tz``, ``duration`` (minutes;
    the tutor's shortest session when left out)."""
    tutor = db.session.get(TutorProfile, tutor_id)
    if tutor is None or not tutor.is_active:
        raise ApiError(404, "unknown_tutor", f"no tutor {tutor_id} is taking bookings")
    tz = request_zone()
    first, last, window_start, window_end = request_window(tz)
    duration = parse_duration(request.args.get("duration"))
    if duration is None and tutor.session_lengths:
        duration = min(tutor.session_lengths)
    if duration not in tutor.session_lengths:
        offered = ", ".join(str(n) for n in sorted(tutor.session_lengths)) or "no"
        raise ApiError(
            400, "bad_duration", f"duration: this tutor offers {offered} minute sessions"
        )
    slots = tutor_slots(tutor, window_start, window_end, duration, current_time())
    formatter = SlotFormatter(tz)
    return compact_json(
        {
            "tutor_id": tutor.id,
            "tz": tz,
            "tutor_timezone": tutor.timezone,
            "duration": duration,
            "start": first.isoformat(),
            "end": last.isoformat(),
            "slots": [formatter.slot(s.start, s.end, tutor.timezone) for s in slots],
        }
    )


#: A page's defaults and ceilings: enough for a week's choice, small enough to answer at once.
PER_TUTOR, MAX_PER_TUTOR = 3, 50
LIMIT, MAX_LIMIT = 60, 500


def page_number(name: str, default: int, high: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    try:
        return whole_number(value, name, low=1, high=high)
    except BadInput:
        raise ApiError(400, f"bad_{name}", f"{name}: expected 1 to {high}, got {value!r}") from None


def encode_cursor(after_tutor_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{after_tutor_id}".encode()).decode().rstrip("=")


def decode_cursor(value: str | None) -> int:
    """The tutor id a ``cursor`` from an earlier page says to go on after; 0 without one."""
    if value is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        kind, _, number = text.partition(":")
        if kind == "after" and number.isdigit() and 0 < int(number) <= MAX_ID:
            return int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ApiError(400, "bad_cursor", "cursor: give back the next_cursor of an earlier page")


@bp.get("/slots")
def subject_slot_list() -> Response:
    """One page of free slots of the tutors teaching ``?subject=<slug>``: tutors in a stable
    order, the first ``per_tutor`` slots of each, until the page holds ``limit`` slots, sorted
    by start. ``duration`` keeps tutors offering that length; without it each tutor's shortest
    session is listed. ``next_cursor``, when not null, asks for the next page."""
    slug = request.args.get("subject")
    if not slug:
        raise ApiError(400, "missing_parameter", "subject: give a subject slug")
    subject = db.session.scalar(sa.select(Subject).where(Subject.slug == slug))
    if subject is None:
        raise ApiError(404, "unknown_subject", f"no subject {slug!r}")
    tz = request_zone()
    first, last, window_start, window_end = request_window(tz)
    duration = parse_duration(request.args.get("duration"))
    per_tutor = page_number("per_tutor", PER_TUTOR, MAX_PER_TUTOR)
    limit = page_number("limit", LIMIT, MAX_LIMIT)
    after = decode_cursor(request.args.get("cursor"))
    page = subject_slot_page(
        subject,
        window_start,
        window_end,
        duration,
        current_time(),
        after_tutor_id=after,
        per_tutor=per_tutor,
        limit=limit,
    )
    formatter = SlotFormatter(tz)
    slots = []
    for s in page.slots:
        item = formatter.slot(s.start, s.end, s.tutor_timezone)
        item["tutor_id"] = s.tutor_id
        item["tutor_name"] = s.tutor_name
        item["tutor_timezone"] = s.tutor_timezone
        item["duration"] = s.duration_min
        slots.append(item)
    return compact_json(
        {
            "subject": subject.slug,
            "tz": tz,
            "duration": duration,
            "start": first.isoformat(),
            "end": last.isoformat(),
            "per_tutor": per_tutor,
            "limit": limit,
            "slots": slots,
            "next_cursor": None
            if page.after_tutor_id is None
            else encode_cursor(page.after_tutor_id),
        }
    )
