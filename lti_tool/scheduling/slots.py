"""Turn a tutor's weekly wall-clock availability into bookable UTC slots.

Rules are wall-clock times in the tutor's IANA zone; everything returned is an aware UTC
datetime. The precise rule (gaps, folds, buffers, limits) is spelled out in docs/scheduling.md.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import tzinfo
from functools import lru_cache
from typing import Literal

import pendulum

_MIDNIGHT = time(0, 0)
_DAY = timedelta(days=1)
_Span = tuple[datetime, datetime]


def _check_wall_range(start: time, end: time, what: str, ordered: bool = True) -> None:
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError(f"{what}: wall-clock times must not carry a tzinfo")
    # time(0, 0) as an end stands for 24:00, so it is the one end allowed to compare lower.
    if ordered and end != _MIDNIGHT and end <= start:
        raise ValueError(f"{what}: end {end} must be after start {start} (or 00:00 for 24:00)")


@dataclass(frozen=True)
class WeeklyRange:
    """A recurring range on one weekday (0=Monday .. 6=Sunday), wall-clock in the tutor's zone."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        _check_wall_range(self.start, self.end, "WeeklyRange")


@dataclass(frozen=True)
class DateOverride:
    """An exception to the weekly rules on tutor-local dates first_date..last_date."""

    kind: Literal["extra", "blocked"]
    first_date: date
    last_date: date
    start: time | None = None
    end: time | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("extra", "blocked"):
            raise ValueError(f"kind must be 'extra' or 'blocked', got {self.kind!r}")
        if self.last_date < self.first_date:
            raise ValueError("last_date must not be before first_date")
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither")
        if self.start is None or self.end is None:
            if self.kind == "extra":
                raise ValueError("an 'extra' override needs start and end times")
            return
        # A blocked interval over several dates may end earlier in the day than it starts.
        ordered = self.kind == "extra" or self.first_date == self.last_date
        _check_wall_range(self.start, self.end, "DateOverride", ordered)


@dataclass(frozen=True)
class SlotPolicy:
    """How ranges are cut into slots. interval_min of 0 or None means back-to-back slots."""

    duration_min: int
    interval_min: int | None = 30
    min_notice_min: int = 0
    horizon_days: int = 60
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    max_per_day: int | None = None

    def __post_init__(self) -> None:
        if self.duration_min <= 0:
            raise ValueError("duration_min must be positive")
        counts = ("interval_min", "min_notice_min", "horizon_days")
        for name in (*counts, "buffer_before_min", "buffer_after_min"):
            if (getattr(self, name) or 0) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.max_per_day is not None and self.max_per_day < 1:
            raise ValueError("max_per_day must be at least 1 (or None for no limit)")

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.interval_min or self.duration_min)


@dataclass(frozen=True)
class Busy:
    """An existing booking of the tutor (aware datetimes, compared as UTC instants)."""

    start: datetime
    end: datetime
    session_start: datetime | None = None
    """When the session itself begins, if the span includes buffers: ``max_per_day`` counts
    the booking on that instant's local date, not on the date its buffer begins."""

    def __post_init__(self) -> None:
        if _to_utc(self.end, "Busy.end") <= _to_utc(self.start, "Busy.start"):
            raise ValueError("Busy.end must be after Busy.start")


@dataclass(frozen=True)
class Slot:
    """An offered slot; start and end are aware UTC datetimes."""

    start: datetime
    end: datetime


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """True when the half-open intervals [a_start, a_end) and [b_start, b_end) intersect."""
    return a_start < b_end and b_start < a_end


@lru_cache(maxsize=1024)
def _zone(name: str) -> tzinfo:
    return pendulum.timezone(name)


def _to_utc(moment: datetime, what: str) -> datetime:
    """Naive UTC datetime for an aware one; internal arithmetic stays on plain stdlib objects."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    u = moment.astimezone(UTC)
    return datetime(u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond)


def _local_date(utc_naive: datetime, zone: tzinfo) -> date:
    return utc_naive.replace(tzinfo=UTC).astimezone(zone).date()


def _offsets(wall: datetime, zone: tzinfo) -> tuple[timedelta, timedelta]:
    # PEP 495: in a gap fold=0 carries the offset from before the transition, in a fold the
    # first occurrence's offset. Comparing both tells gap (off0 < off1) from fold (off0 > off1).
    off0 = wall.replace(tzinfo=zone, fold=0).utcoffset()
    off1 = wall.replace(tzinfo=zone, fold=1).utcoffset()
    assert off0 is not None and off1 is not None
    return off0, off1


def _end_instant(wall: datetime, zone: tzinfo) -> datetime:
    """End edge: first occurrence if ambiguous, pushed forward by the gap if nonexistent."""
    return wall - _offsets(wall, zone)[0]


def _start_instant(wall: datetime, zone: tzinfo) -> datetime:
    """Start edge: first occurrence if ambiguous, the instant the gap ends if nonexistent."""
    off0, off1 = _offsets(wall, zone)
    if off0 >= off1:
        return wall - off0
    # before is still on the old offset, before + span already on the new one; bisect on seconds.
    before = wall - off1
    lo, hi = 0, int((off1 - off0).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        probe = (before + timedelta(seconds=mid)).replace(tzinfo=UTC)
        if probe.astimezone(zone).utcoffset() == off1:
            hi = mid
        else:
            lo = mid
    return before + timedelta(seconds=hi)


def _wall_bounds(first: date, last: date, start: time, end: time) -> tuple[datetime, datetime]:
    end_day = last + _DAY if end == _MIDNIGHT else last
    return datetime.combine(first, start), datetime.combine(end_day, end)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += _DAY


def _ranges_on(
    day: date, weekly: dict[int, list[tuple[time, time]]], extras: Sequence[DateOverride]
) -> Iterator[tuple[time, time]]:
    yield from weekly.get(day.weekday(), ())
    for o in extras:
        if o.first_date <= day <= o.last_date and o.start is not None and o.end is not None:
            yield o.start, o.end


def _weekly(rules: Sequence[WeeklyRange]) -> dict[int, list[tuple[time, time]]]:
    by_day: dict[int, list[tuple[time, time]]] = {}
    for r in rules:
        by_day.setdefault(r.weekday, []).append((r.start, r.end))
    return by_day


def _blocked(zone: tzinfo, overrides: Sequence[DateOverride]) -> Iterator[_Span]:
    for o in overrides:
        if o.kind != "blocked":
            continue
        if o.start is None or o.end is None:
            # Whole days: from the first instant of first_date to the first one after last_date.
            yield (
                _start_instant(datetime.combine(o.first_date, _MIDNIGHT), zone),
                _start_instant(datetime.combine(o.last_date + _DAY, _MIDNIGHT), zone),
            )
            continue
        wall_start, wall_end = _wall_bounds(o.first_date, o.last_date, o.start, o.end)
        s, e = _start_instant(wall_start, zone), _end_instant(wall_end, zone)
        if s < e:
            yield s, e


def _merge(intervals: list[_Span]) -> tuple[list[datetime], list[datetime]]:
    """Sorted, disjoint starts and ends, so one bisect answers any overlap question."""
    starts: list[datetime] = []
    ends: list[datetime] = []
    for s, e in sorted(intervals):
        if ends and s <= ends[-1]:
            ends[-1] = max(ends[-1], e)
        else:
            starts.append(s)
            ends.append(e)
    return starts, ends


def availability_windows(
    tz: str,
    rules: Sequence[WeeklyRange],
    overrides: Sequence[DateOverride],
    first_date: date,
    last_date: date,
) -> list[tuple[datetime, datetime]]:
    """UTC intervals of every weekly range and 'extra' override on tutor-local dates
    first_date..last_date inclusive, sorted. Blocked overrides are not subtracted."""
    zone = _zone(tz)
    weekly = _weekly(rules)
    extras = [o for o in overrides if o.kind == "extra"]
    found: set[_Span] = set()
    for day in _days(first_date, last_date):
        for start, end in _ranges_on(day, weekly, extras):
            wall_start, wall_end = _wall_bounds(day, day, start, end)
            s, e = _start_instant(wall_start, zone), _end_instant(wall_end, zone)
            if s < e:
                found.add((s, e))
    return [(s.replace(tzinfo=UTC), e.replace(tzinfo=UTC)) for s, e in sorted(found)]


def free_slots(
    tz: str,
    rules: Sequence[WeeklyRange],
    overrides: Sequence[DateOverride],
    busy: Sequence[Busy],
    policy: SlotPolicy,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> list[Slot]:
    """Every offered slot whose start lies in [window_start, window_end), sorted, no duplicates."""
    zone = _zone(tz)
    now_u = _to_utc(now, "now")
    lo = max(
        _to_utc(window_start, "window_start"), now_u + timedelta(minutes=policy.min_notice_min)
    )
    hi = min(_to_utc(window_end, "window_end"), now_u + timedelta(days=policy.horizon_days))
    if lo >= hi:
        return []
    duration = timedelta(minutes=policy.duration_min)
    step = policy.step
    booked = [(_to_utc(b.start, "Busy.start"), _to_utc(b.end, "Busy.end")) for b in busy]

    # Busy spans already include the booked session's own buffers; the padded slot
    # [s - before, e + after) must clear them (see "Buffers" in docs/scheduling.md).
    before = timedelta(minutes=policy.buffer_before_min)
    after = timedelta(minutes=policy.buffer_after_min)
    forbidden = [(s - after, e + before) for s, e in booked]
    forbidden.extend(_blocked(zone, overrides))
    f_starts, f_ends = _merge(forbidden)

    full_days: set[date] = set()
    if policy.max_per_day is not None:
        per_day = Counter(
            _local_date(_to_utc(b.session_start or b.start, "Busy.session_start"), zone)
            for b in busy
        )
        full_days = {d for d, n in per_day.items() if n >= policy.max_per_day}

    weekly = _weekly(rules)
    extras = [o for o in overrides if o.kind == "extra"]
    found: set[datetime] = set()
    # A slot start on tutor-local date D always maps back to date D, so these dates suffice.
    for day in _days(_local_date(lo, zone), _local_date(hi, zone)):
        if day in full_days:
            continue
        for start, end in _ranges_on(day, weekly, extras):
            wall, wall_end = _wall_bounds(day, day, start, end)
            s0, s1 = _offsets(wall, zone)
            e0, e1 = _offsets(wall_end, zone)
            end_at = wall_end - e0
            # No tzdata zone has changed offset twice within 48 hours since 1970, so one
            # unambiguous offset at both ends of a range (at most a day long) rules out any
            # gap or fold inside it and the per-candidate lookup can be skipped.
            steady = s0 == s1 == e0 == e1
            while wall < wall_end:
                at: datetime | None
                if steady:
                    at = wall - s0
                else:
                    o0, o1 = _offsets(wall, zone)
                    at = None if o0 < o1 else wall - o0  # a start inside a gap is skipped
                wall += step
                if at is None or at < lo:
                    continue
                # Existing wall times map to non-decreasing instants, so nothing later can fit.
                if at >= hi or at + duration > end_at:
                    break
                i = bisect_left(f_starts, at + duration) - 1
                if i < 0 or f_ends[i] <= at:
                    found.add(at)
    starts = [at.replace(tzinfo=UTC) for at in sorted(found)]
    return [Slot(s, s + duration) for s in starts]
