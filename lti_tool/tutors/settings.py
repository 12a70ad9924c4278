"""A tutor's settings: checking them, saving them, and handing them to the slot engine.

Weekly rules are checked here; single values and date exceptions in
:mod:`lti_tool.tutors.fields`. Everything is checked before anything is written, so an invalid
request leaves the tutor untouched.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import typing as t
from collections.abc import Iterable
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lti_tool.database import write_transaction
from lti_tool.models import AvailabilityOverride
from lti_tool.models import AvailabilityRule
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import db
from lti_tool.scheduling import DateOverride
from lti_tool.scheduling import SlotPolicy
from lti_tool.scheduling import WeeklyRange
from lti_tool.tutors.fields import BOUNDS
from lti_tool.tutors.fields import MIDNIGHT
from lti_tool.tutors.fields import TutorSettingsError
from lti_tool.tutors.fields import format_clock
from lti_tool.tutors.fields import parse_clock
from lti_tool.tutors.fields import parse_int
from lti_tool.tutors.fields import parse_languages
from lti_tool.tutors.fields import parse_overrides
from lti_tool.tutors.fields import parse_price
from lti_tool.tutors.fields import parse_session_lengths
from lti_tool.tutors.fields import parse_subjects
from lti_tool.tutors.fields import parse_timezone

__all__ = [
    "apply_settings",
    "format_availability",
    "parse_availability",
    "parse_rules",
    "policy_for",
    "resolve_subjects",
    "save_settings",
    "settings_dict",
    "slot_inputs",
    "validate_settings",
]

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS = tuple(name[:3] for name in DAY_NAMES)
MAX_RULES = 100
SETTING_KEYS = frozenset(
    {"timezone", "rules", "availability", "overrides", "session_lengths", "subjects"}
    | {"languages", "price"}
    | set(BOUNDS)
)
_DAY_LOOKUP = {name.lower(): i for i, full in enumerate(DAY_NAMES) for name in (full[:3], full)}


def _end_minute(rule: WeeklyRange) -> int:
    return 1440 if rule.end == MIDNIGHT else rule.end.hour * 60 + rule.end.minute


def _check_no_overlap(rules: list[WeeklyRange], field: str, *, indexed: bool = True) -> None:
    """Ranges on one weekday may touch (09:00-12:00, 12:00-13:00) but not overlap."""
    order = sorted(range(len(rules)), key=lambda i: (rules[i].weekday, rules[i].start))
    for i, j in zip(order, order[1:], strict=False):
        before, after = rules[i], rules[j]
        start = after.start.hour * 60 + after.start.minute
        if before.weekday == after.weekday and start < _end_minute(before):
            day = WEEKDAYS[after.weekday]
            raise TutorSettingsError(
                f"{field}[{max(i, j)}]" if indexed else field,
                f"{day} {format_range(before)} overlaps {day} {format_range(after)}",
            )


def _weekly_range(weekday: t.Any, start: dt.time, end: dt.time, field: str) -> WeeklyRange:
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise TutorSettingsError(f"{field}.weekday", "expected 0 (Monday) to 6 (Sunday)")
    if end != MIDNIGHT and end <= start:
        raise TutorSettingsError(f"{field}.end", "must be after the start (24:00 for midnight)")
    return WeeklyRange(weekday, start, end)


def parse_rules(value: t.Any, field: str = "rules") -> list[WeeklyRange]:
    if not isinstance(value, list) or len(value) > MAX_RULES:
        raise TutorSettingsError(field, f"expected a list of at most {MAX_RULES} weekly ranges")
    rules: list[WeeklyRange] = []
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(item, Mapping):
            raise TutorSettingsError(where, 'expected {"weekday", "start", "end"}')
        start = parse_clock(item.get("start"), f"{where}.start")
        end = parse_clock(item.get("end"), f"{where}.end", end=True)
        rules.append(_weekly_range(item.get("weekday"), start, end, where))
    _check_no_overlap(rules, field)
    return rules


def parse_availability(text: t.Any, field: str = "availability") -> list[WeeklyRange]:
    """``Mon 09:00-12:00; Mon 14:00-17:30; Wed 18:00-21:00`` as weekly ranges."""
    if not isinstance(text, str):
        raise TutorSettingsError(field, "expected text such as 'Mon 09:00-12:00; Wed 18:00-21:00'")
    rules: list[WeeklyRange] = []
    for part in filter(None, (piece.strip() for piece in re.split(r"[;\n]", text))):
        match = re.fullmatch(r"([A-Za-z]+)\s+(\S+)\s*-\s*(\S+)", part)
        weekday = _DAY_LOOKUP.get(match[1].lower()) if match else None
        if match is None or weekday is None:
            raise TutorSettingsError(field, f"{part!r} is not like 'Mon 09:00-12:00'")
        try:
            start = parse_clock(match[2], field)
            end = parse_clock(match[3], field, end=True)
            rules.append(_weekly_range(weekday, start, end, field))
        except TutorSettingsError as exc:
            raise TutorSettingsError(field, f"{part!r}: {exc.message}") from None
    if len(rules) > MAX_RULES:
        raise TutorSettingsError(field, f"at most {MAX_RULES} weekly ranges")
    _check_no_overlap(rules, field, indexed=False)
    return rules


def format_range(rule: WeeklyRange) -> str:
    return f"{format_clock(rule.start)}-{format_clock(rule.end, end=True)}"


def format_availability(rules: Iterable[WeeklyRange]) -> str:
    ordered = sorted(rules, key=lambda r: (r.weekday, r.start))
    return "; ".join(f"{WEEKDAYS[r.weekday]} {format_range(r)}" for r in ordered)


_PARSERS: dict[str, t.Callable[[t.Any], t.Any]] = {
    "timezone": parse_timezone,
    "rules": parse_rules,
    "availability": parse_availability,
    "overrides": parse_overrides,
    "session_lengths": parse_session_lengths,
    "subjects": parse_subjects,
    "languages": parse_languages,
    **{
        key: functools.partial(parse_int, field=key, optional=key == "max_per_day")
        for key in BOUNDS
    },
}


def validate_settings(data: Mapping[str, t.Any], *, currency: str) -> dict[str, t.Any]:
    """Checked values for the keys present in *data*; ``price`` (in units of the site's
    *currency*) becomes ``price_cents`` (its minor unit) and the ``availability`` text becomes
    ``rules``. Writes nothing."""
    unknown = sorted(set(data) - SETTING_KEYS)
    if unknown:
        raise TutorSettingsError(unknown[0], "is not a tutor setting")
    parsers: dict[str, t.Callable[[t.Any], t.Any]] = {
        **_PARSERS,
        "price": functools.partial(parse_price, currency=currency),
    }
    cleaned = {key: parsers[key](value) for key, value in data.items()}
    if "availability" in cleaned:
        text_rules = cleaned.pop("availability")
        # A body read from GET carries both forms; they only conflict if they differ.
        if "rules" in cleaned and set(cleaned["rules"]) != set(text_rules):
            raise TutorSettingsError("availability", "differs from rules; send one of them")
        cleaned["rules"] = cleaned.get("rules", text_rules)
    if "price" in cleaned:
        cleaned["price_cents"] = cleaned.pop("price")
    return cleaned


def resolve_subjects(
    choices: list[tuple[str, str]], session: Session | None = None
) -> list[tuple[Subject, str]]:
    """Existing subjects for (slug or name, level) pairs; an unknown one is an error."""
    session = session or db.session()
    keys = [key for key, _ in choices]
    rows = session.scalars(
        sa.select(Subject).where(sa.or_(Subject.slug.in_(keys), Subject.name.in_(keys)))
    ).all()
    by_key = {s.name: s for s in rows} | {s.slug: s for s in rows}
    for i, (key, _) in enumerate(choices):
        if key not in by_key:
            raise TutorSettingsError(f"subjects[{i}]", f"no subject {key!r}")
    return [(by_key[key], level) for key, level in choices]


def apply_settings(
    profile: TutorProfile,
    cleaned: Mapping[str, t.Any],
    subjects: list[tuple[Subject, str]] | None = None,
) -> None:
    """Copy checked values onto *profile*; rules and exceptions are replaced as a whole."""
    for key, value in cleaned.items():
        if key == "rules":
            profile.rules = [
                AvailabilityRule(weekday=r.weekday, start_time=r.start, end_time=r.end)
                for r in value
            ]
        elif key == "overrides":
            profile.overrides = [
                AvailabilityOverride(
                    kind=s.override.kind,
                    first_date=s.override.first_date,
                    last_date=s.override.last_date,
                    start_time=s.override.start,
                    end_time=s.override.end,
                    note=s.note,
                )
                for s in value
            ]
        elif key != "subjects":
            setattr(profile, key, value)
    if subjects is not None:
        profile.subjects = [TutorSubject(subject=s, level=level) for s, level in subjects]


def save_settings(
    profile: TutorProfile, data: Mapping[str, t.Any], *, currency: str
) -> TutorProfile:
    """Check *data* (a price in units of *currency*, the site's) and, only when all of it is
    valid, save it in one transaction."""
    cleaned = validate_settings(data, currency=currency)
    subjects = resolve_subjects(cleaned["subjects"]) if "subjects" in cleaned else None
    with write_transaction(db.session()):
        apply_settings(profile, cleaned, subjects)
    return profile


def profile_ranges(profile: TutorProfile) -> list[WeeklyRange]:
    return [WeeklyRange(r.weekday, r.start_time, r.end_time) for r in profile.rules]


def settings_dict(profile: TutorProfile) -> dict[str, t.Any]:
    """The tutor's availability settings, shaped like the body the API accepts."""
    ranges = sorted(profile_ranges(profile), key=lambda r: (r.weekday, r.start))
    overrides = sorted(profile.overrides, key=lambda o: (o.first_date, o.start_time or MIDNIGHT))
    return {
        "timezone": profile.timezone,
        "rules": [
            {
                "weekday": r.weekday,
                "start": format_clock(r.start),
                "end": format_clock(r.end, end=True),
            }
            for r in ranges
        ],
        "availability": format_availability(ranges),
        "overrides": [
            {
                "kind": o.kind,
                "first_date": o.first_date.isoformat(),
                "last_date": o.last_date.isoformat(),
                "start": format_clock(o.start_time) if o.start_time is not None else None,
                "end": format_clock(o.end_time, end=True) if o.end_time is not None else None,
                "note": o.note,
            }
            for o in overrides
        ],
        **{key: getattr(profile, key) for key in (*BOUNDS, "session_lengths")},
    }


def slot_inputs(profile: TutorProfile) -> tuple[list[WeeklyRange], list[DateOverride]]:
    """The slot engine's view of the tutor's weekly rules and date exceptions."""
    overrides = [
        DateOverride(o.kind, o.first_date, o.last_date, o.start_time, o.end_time)  # type: ignore[arg-type]
        for o in profile.overrides
    ]
    return profile_ranges(profile), overrides


def policy_for(profile: TutorProfile, duration_min: int) -> SlotPolicy:
    """How the tutor's hours are cut into sessions of *duration_min* minutes."""
    if duration_min not in profile.session_lengths:
        offered = ", ".join(str(n) for n in profile.session_lengths)
        raise TutorSettingsError("duration_min", f"this tutor offers {offered} minutes")
    return SlotPolicy(
        duration_min=duration_min,
        interval_min=profile.interval_min,
        min_notice_min=profile.min_notice_min,
        horizon_days=profile.horizon_days,
        buffer_before_min=profile.buffer_before_min,
        buffer_after_min=profile.buffer_after_min,
        max_per_day=profile.max_per_day,
    )
