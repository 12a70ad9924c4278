"""Single tutor settings and date exceptions.

Each ``parse_*`` function returns the stored form of one value or raises
:class:`TutorSettingsError` naming the field, so every way of changing a tutor (the JSON API,
the editor page, the CSV import) accepts and refuses exactly the same input.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import typing as t
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation

import pendulum

from lti_tool import money
from lti_tool.models import TutorProfile
from lti_tool.scheduling import DateOverride

MIDNIGHT = dt.time(0, 0)
#: (lowest, highest) accepted for each whole-number setting.
BOUNDS: dict[str, tuple[int, int]] = {
    "interval_min": (5, 1440),
    "min_notice_min": (0, 60 * 24 * 90),
    "horizon_days": (1, 730),
    "buffer_before_min": (0, 720),
    "buffer_after_min": (0, 720),
    "max_per_day": (1, 96),
}
SESSION_LENGTH_BOUNDS = (5, 480)
#: Highest price per hour, in currency units (not minor units) of the site's currency.
MAX_PRICE = 100_000
MAX_OVERRIDES = 500
MAX_OVERRIDE_DAYS = 366
# ASCII digits only: ``\d`` also matches digits of other scripts, which int() reads anyway.
_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


class TutorSettingsError(ValueError):
    """One invalid setting. ``field`` is a path such as ``rules[2].end``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class OverrideSpec:
    """A checked exception to the weekly rules, with the tutor's note for it."""

    override: DateOverride
    note: str = ""


@functools.cache
def timezones() -> frozenset[str]:
    # Reading the zone database from disk takes a while; bulk imports ask thousands of times.
    return frozenset(zoneinfo.available_timezones())


def model_default(column: str) -> t.Any:
    """The default a new :class:`TutorProfile` gets for *column*."""
    default = TutorProfile.__table__.c[column].default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def parse_timezone(value: t.Any, field: str = "timezone") -> str:
    if not isinstance(value, str) or value not in timezones():
        raise TutorSettingsError(field, f"{value!r} is not an IANA timezone such as Europe/Paris")
    pendulum.timezone(value)
    return value


def parse_clock(value: t.Any, field: str, *, end: bool = False) -> dt.time:
    """``HH:MM``; an end may be ``24:00``, stored as 00:00 (midnight at the end of the day)."""
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise TutorSettingsError(field, f"expected a time as HH:MM, got {value!r}")
    hour, minute = int(match[1]), int(match[2])
    if end and (hour, minute) == (24, 0):
        return MIDNIGHT
    if hour > 23 or minute > 59:
        raise TutorSettingsError(field, f"{value!r} is not a time of day")
    return dt.time(hour, minute)


def format_clock(value: dt.time, *, end: bool = False) -> str:
    return "24:00" if end and value == MIDNIGHT else value.strftime("%H:%M")


def parse_int(
    value: t.Any,
    field: str,
    *,
    bounds: tuple[int, int] | None = None,
    optional: bool = False,
) -> int | None:
    """A whole number within *bounds* (by default those of the setting named *field*)."""
    if value is None and optional:
        return None
    low, high = bounds or BOUNDS[field]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TutorSettingsError(field, f"expected a whole number, got {value!r}")
    if not low <= value <= high:
        raise TutorSettingsError(field, f"must be between {low} and {high}, got {value}")
    return value


def parse_session_lengths(value: t.Any, field: str = "session_lengths") -> list[int]:
    if not isinstance(value, list) or not value or len(value) > 10:
        raise TutorSettingsError(field, "give between one and ten session lengths in minutes")
    lengths = [
        parse_int(item, f"{field}[{i}]", bounds=SESSION_LENGTH_BOUNDS)
        for i, item in enumerate(value)
    ]
    return sorted({length for length in lengths if length is not None})


def parse_price(value: t.Any, field: str = "price", *, currency: str) -> int:
    """A price per hour in units of *currency* (``"35.00"`` dollars, ``"3500"`` yen), returned
    in its minor unit (:mod:`lti_tool.money`)."""
    code = money.normalise(currency)
    try:
        amount = (
            Decimal(str(value).strip()) if isinstance(value, str | int | float | Decimal) else None
        )
    except InvalidOperation:
        amount = None
    if isinstance(value, bool) or amount is None or not amount.is_finite():
        example = money.format_amount(money.to_minor(35, code), code)
        raise TutorSettingsError(field, f"expected a price such as {example}, got {value!r}")
    if not 0 <= amount <= MAX_PRICE:
        raise TutorSettingsError(field, f"must be 0 to {MAX_PRICE} {code}, got {value!r}")
    try:
        minor = money.to_minor(amount, code)
    except money.AmountError:
        raise TutorSettingsError(field, f"{_decimals_rule(code)}, got {value!r}") from None
    step = money.charge_step(code)
    if minor % step:
        raise TutorSettingsError(
            field, f"prices in {code} go in steps of {money.format_amount(step, code)}"
        )
    return minor


def _decimals_rule(code: str) -> str:
    places = money.exponent(code)
    if places == 0:
        return f"{code} prices have no decimals"
    return f"{code} prices have at most {places} decimal{'s' if places != 1 else ''}"


def parse_languages(value: t.Any, field: str = "languages") -> list[str]:
    if not isinstance(value, list) or len(value) > 20:
        raise TutorSettingsError(field, "expected a list of language codes such as ['en', 'es']")
    codes: list[str] = []
    for i, item in enumerate(value):
        code = item.strip().lower() if isinstance(item, str) else None
        if code is None or not _LANGUAGE.fullmatch(code):
            raise TutorSettingsError(f"{field}[{i}]", f"{item!r} is not a language code")
        if code not in codes:
            codes.append(code)
    return codes


def parse_subjects(value: t.Any, field: str = "subjects") -> list[tuple[str, str]]:
    """``[{"slug", "level"}]`` or ``"slug-or-name[:level]"`` items, as (slug or name, level)."""
    if not isinstance(value, list) or len(value) > 50:
        raise TutorSettingsError(field, "expected a list of subjects")
    found: dict[str, str] = {}
    for i, item in enumerate(value):
        if isinstance(item, str):
            key, _, level = item.partition(":")
        elif isinstance(item, Mapping) and isinstance(item.get("slug"), str):
            key, level = item["slug"], item.get("level") or ""
        else:
            raise TutorSettingsError(f"{field}[{i}]", "expected a slug or {'slug', 'level'}")
        if not isinstance(level, str):
            raise TutorSettingsError(f"{field}[{i}].level", f"{level!r} is not a level slug")
        key, level = key.strip(), level.strip().lower()
        if not key or len(key) > 120:
            raise TutorSettingsError(f"{field}[{i}]", "a subject needs a slug or name")
        if not _SLUG.fullmatch(level or "all") or len(level) > 40:
            raise TutorSettingsError(f"{field}[{i}].level", f"{level!r} is not a level slug")
        found.setdefault(key, level or "all")
    return list(found.items())


def slugify(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:80]


def _parse_date(value: t.Any, field: str) -> dt.date:
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise TutorSettingsError(field, f"expected a date as YYYY-MM-DD, got {value!r}")


def parse_overrides(value: t.Any, field: str = "overrides") -> list[OverrideSpec]:
    """``{"kind": "extra"|"blocked", "first_date", "last_date" (or "date"), "start", "end"}``."""
    if not isinstance(value, list) or len(value) > MAX_OVERRIDES:
        raise TutorSettingsError(field, f"expected a list of at most {MAX_OVERRIDES} exceptions")
    specs: list[OverrideSpec] = []
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(item, Mapping) or item.get("kind") not in ("extra", "blocked"):
            raise TutorSettingsError(f"{where}.kind", "expected 'extra' or 'blocked'")
        first = _parse_date(item.get("first_date") or item.get("date"), f"{where}.first_date")
        last_given = item.get("last_date") or item.get("date") or first.isoformat()
        last = _parse_date(last_given, f"{where}.last_date")
        if last < first or (last - first).days >= MAX_OVERRIDE_DAYS:
            raise TutorSettingsError(
                f"{where}.last_date", "must be from first_date to a year after it"
            )
        # Forms send empty strings for untouched time inputs.
        times = [item.get("start") or None, item.get("end") or None]
        start = end = None
        if times != [None, None] or item["kind"] == "extra":
            start = parse_clock(times[0], f"{where}.start")
            end = parse_clock(times[1], f"{where}.end", end=True)
        note = item.get("note") or ""
        if not isinstance(note, str) or len(note) > 200:
            raise TutorSettingsError(f"{where}.note", "at most 200 characters of text")
        try:
            specs.append(OverrideSpec(DateOverride(item["kind"], first, last, start, end), note))
        except ValueError:
            raise TutorSettingsError(f"{where}.end", "must be after the start") from None
    return specs
