"""The slot rule from docs/scheduling.md, checked against a second, deliberately naive
implementation that only uses zoneinfo and datetime and finds gaps and folds by
round-tripping through UTC."""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from lti_tool.scheduling import Busy
from lti_tool.scheduling import DateOverride
from lti_tool.scheduling import Slot
from lti_tool.scheduling import SlotPolicy
from lti_tool.scheduling import WeeklyRange
from lti_tool.scheduling import availability_windows
from lti_tool.scheduling import free_slots

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Chatham",
    "Africa/Casablanca",
]
MIDNIGHT = time(0, 0)
DAY = timedelta(days=1)
Span = tuple[datetime, datetime]


def _transition_dates(name: str) -> list[date]:
    """Tutor-local dates in 2026-2027 on which the zone's UTC offset changes."""
    zone = ZoneInfo(name)
    found: list[date] = []
    at = datetime(2026, 1, 1, tzinfo=UTC)
    previous = at.astimezone(zone).utcoffset()
    while at < datetime(2028, 1, 1, tzinfo=UTC):
        at += timedelta(minutes=15)
        local = at.astimezone(zone)
        if local.utcoffset() != previous:
            found.append(local.date())
            previous = local.utcoffset()
    return found


TRANSITIONS = {name: _transition_dates(name) for name in ZONES}


def test_the_zone_list_really_exercises_transitions() -> None:
    # Casablanca's Ramadan shift and the odd-sized Lord Howe and Chatham shifts must be present,
    # otherwise the properties below would only ever see quiet days.
    assert len(TRANSITIONS["Africa/Casablanca"]) == 4
    assert len(TRANSITIONS["Australia/Lord_Howe"]) == 4
    assert len(TRANSITIONS["Pacific/Chatham"]) == 4
    assert TRANSITIONS["Asia/Kathmandu"] == []


# ----------------------------------------------------------------- the reference implementation


def ref_instants(wall: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every UTC instant that shows `wall` on the zone's clocks: none, one or two."""
    hits = set()
    for fold in (0, 1):
        u = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if u.astimezone(zone).replace(tzinfo=None) == wall:
            hits.add(u)
    return sorted(hits)


def ref_offsets_around(wall: datetime, zone: ZoneInfo) -> tuple[timedelta, timedelta]:
    """Offsets a day before and a day after; a gap at `wall` sits between these two."""
    rough = wall.replace(tzinfo=UTC)
    before = (rough - DAY).astimezone(zone).utcoffset()
    after = (rough + DAY).astimezone(zone).utcoffset()
    assert before is not None and after is not None
    return before, after


def ref_end_edge(wall: datetime, zone: ZoneInfo) -> datetime:
    hits = ref_instants(wall, zone)
    if hits:
        return hits[0]
    before, after = ref_offsets_around(wall, zone)
    pushed = wall.replace(tzinfo=UTC) - before
    # "moved forward by the gap": the clocks then read wall + gap
    assert pushed.astimezone(zone).replace(tzinfo=None) == wall + (after - before)
    return pushed


def ref_start_edge(wall: datetime, zone: ZoneInfo) -> datetime:
    hits = ref_instants(wall, zone)
    if hits:
        return hits[0]
    before, _ = ref_offsets_around(wall, zone)
    probe = wall.replace(tzinfo=UTC) - before - timedelta(hours=3)
    while probe.astimezone(zone).utcoffset() == before:
        probe += timedelta(minutes=1)
    return probe


def ref_wall_end(day: date, end: time) -> datetime:
    return datetime.combine(day + DAY if end == MIDNIGHT else day, end)


def ref_overlap(a: datetime, b: datetime, c: datetime, d: datetime) -> bool:
    return a < d and c < b


def ref_ranges(
    day: date, rules: list[WeeklyRange], overrides: list[DateOverride]
) -> list[tuple[time, time]]:
    out = [(r.start, r.end) for r in rules if r.weekday == day.weekday()]
    for o in overrides:
        if o.kind == "extra" and o.first_date <= day <= o.last_date:
            out.append((o.start, o.end))
    return out


def ref_blocked(zone: ZoneInfo, overrides: list[DateOverride]) -> list[Span]:
    out = []
    for o in overrides:
        if o.kind != "blocked":
            continue
        if o.start is None:
            s = ref_start_edge(datetime.combine(o.first_date, MIDNIGHT), zone)
            e = ref_start_edge(datetime.combine(o.last_date + DAY, MIDNIGHT), zone)
        else:
            s = ref_start_edge(datetime.combine(o.first_date, o.start), zone)
            e = ref_end_edge(ref_wall_end(o.last_date, o.end), zone)
        out.append((s, e))
    return out


def ref_free_slots(
    tz: str,
    rules: list[WeeklyRange],
    overrides: list[DateOverride],
    busy: list[Busy],
    policy: SlotPolicy,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> set[Span]:
    zone = ZoneInfo(tz)
    duration = timedelta(minutes=policy.duration_min)
    step = timedelta(minutes=policy.interval_min or policy.duration_min)
    before = timedelta(minutes=policy.buffer_before_min)
    after = timedelta(minutes=policy.buffer_after_min)
    blocked = ref_blocked(zone, overrides)
    per_day = Counter(b.start.astimezone(zone).date() for b in busy)
    result = set()
    day = window_start.astimezone(zone).date() - 2 * DAY
    while day <= window_end.astimezone(zone).date() + 2 * DAY:
        full = policy.max_per_day is not None and per_day[day] >= policy.max_per_day
        for start, end in [] if full else ref_ranges(day, rules, overrides):
            wall_end = ref_wall_end(day, end)
            end_at = ref_end_edge(wall_end, zone)
            wall = datetime.combine(day, start)
            while wall < wall_end:
                hits = ref_instants(wall, zone)
                wall += step
                if not hits:
                    continue
                s = hits[0]
                e = s + duration
                ok = (
                    e <= end_at
                    and window_start <= s < window_end
                    and s >= now + timedelta(minutes=policy.min_notice_min)
                    and s < now + timedelta(days=policy.horizon_days)
                    and not any(ref_overlap(s, e, bs, be) for bs, be in blocked)
                    and not any(ref_overlap(s - before, e + after, b.start, b.end) for b in busy)
                )
                if ok:
                    result.add((s, e))
        day += DAY
    return result


def ref_windows(
    tz: str, rules: list[WeeklyRange], overrides: list[DateOverride], first: date, last: date
) -> set[Span]:
    zone = ZoneInfo(tz)
    out = set()
    day = first
    while day <= last:
        for start, end in ref_ranges(day, rules, overrides):
            s = ref_start_edge(datetime.combine(day, start), zone)
            e = ref_end_edge(ref_wall_end(day, end), zone)
            if s < e:
                out.add((s, e))
        day += DAY
    return out


# ------------------------------------------------------------------------------- strategies

# Ranges that straddle, start in or end in the gap or fold of every zone above (New York and
# London 01:00-02:00 or 02:00-03:00, Lord Howe 01:30-02:30, Chatham 02:45-03:45, Casablanca
# 02:00-03:00).
NIGHT_RANGES = [
    (time(0), time(4)),
    (time(1), time(3)),
    (time(1, 30), time(3, 30)),
    (time(2), MIDNIGHT),
    (time(0), time(1, 30)),
    (time(1), time(2, 30)),
    (time(0, 30), time(2, 15)),
    (time(1, 45), time(3, 15)),
    (time(2, 15), time(5)),
    (time(3), time(3, 45)),
]


@st.composite
def wall_range(draw, grid: int | None = None) -> tuple[time, time]:
    if draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(NIGHT_RANGES))
    grid = grid or draw(st.sampled_from([5, 15]))
    first = draw(st.integers(0, 1440 // grid - 1)) * grid
    last = draw(st.integers(first // grid + 1, 1440 // grid)) * grid
    end = MIDNIGHT if last == 1440 else time(last // 60, last % 60)
    return time(first // 60, first % 60), end


@st.composite
def scenario(draw, extras: bool = False):
    tz = draw(st.sampled_from(ZONES))
    candidates = TRANSITIONS[tz] or [date(2026, 4, 5), date(2026, 10, 4), date(2027, 3, 14)]
    anchor = draw(st.sampled_from(candidates)) + draw(st.integers(-1, 1)) * DAY
    rules = []
    for _ in range(draw(st.integers(1, 6))):
        start, end = draw(wall_range())
        shift = draw(st.sampled_from([0, 0, 0, -1, 1, 2]))
        rules.append(WeeklyRange((anchor.weekday() + shift) % 7, start, end))
    # Learner windows are UTC instants that need not line up with the tutor's midnight.
    local_midnight = datetime.combine(anchor, MIDNIGHT, ZoneInfo(tz)).astimezone(UTC)
    window_start = local_midnight + timedelta(minutes=15 * draw(st.integers(-4 * 14, 4 * 14)))
    quarters = draw(st.integers(1, 4 * 60) | st.integers(4 * 6, 4 * 60))
    window_end = window_start + timedelta(minutes=15 * quarters)
    overrides: list[DateOverride] = []
    if extras:
        for _ in range(draw(st.integers(0, 3))):
            first = anchor + draw(st.integers(-1, 1)) * DAY
            last = first + draw(st.integers(0, 1)) * DAY
            kind = draw(st.sampled_from(["extra", "blocked"]))
            if kind == "blocked" and draw(st.booleans()):
                overrides.append(DateOverride("blocked", first, last))
                continue
            if kind == "blocked" and last > first:
                s, e = draw(wall_range()) if draw(st.booleans()) else draw(wall_range())[::-1]
            else:
                s, e = draw(wall_range())
            overrides.append(DateOverride(kind, first, last, s, e))
    return tz, anchor, rules, overrides, window_start, window_end


policies = st.builds(
    SlotPolicy,
    duration_min=st.sampled_from([15, 30, 45, 60, 90]),
    interval_min=st.sampled_from([15, 30, 60, 0, None]),
)


@st.composite
def full_policy(draw) -> SlotPolicy:
    return SlotPolicy(
        duration_min=draw(st.sampled_from([15, 30, 45, 60, 90])),
        interval_min=draw(st.sampled_from([15, 30, 60])),
        min_notice_min=draw(st.sampled_from([0, 0, 45, 240, 1440])),
        horizon_days=draw(st.sampled_from([60, 60, 1, 2])),
        buffer_before_min=draw(st.sampled_from([0, 5, 15, 30])),
        buffer_after_min=draw(st.sampled_from([0, 10, 15, 45])),
        max_per_day=draw(st.sampled_from([None, None, 1, 2])),
    )


@st.composite
def bookings(draw, anchor: date) -> list[Busy]:
    base = datetime.combine(anchor, MIDNIGHT, UTC)
    out = []
    for _ in range(draw(st.integers(0, 6))):
        s = base + timedelta(minutes=5 * draw(st.integers(-12 * 36, 12 * 72)))
        out.append(Busy(s, s + timedelta(minutes=5 * draw(st.integers(1, 36)))))
    return out


FAST = settings(
    max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _as_set(slots: list[Slot]) -> set[Span]:
    return {(s.start, s.end) for s in slots}


def _check_shape(slots: list[Slot], duration_min: int) -> None:
    starts = [s.start for s in slots]
    assert starts == sorted(set(starts)), "sorted and duplicate-free"
    for s in slots:
        assert s.start.utcoffset() == timedelta(0) and s.end.utcoffset() == timedelta(0)
        assert s.end - s.start == timedelta(minutes=duration_min)


# ------------------------------------------------------------------------------- properties


@FAST
@given(scenario(), policies)
def test_weekly_rules_across_transitions_match_reference(case, policy: SlotPolicy) -> None:
    tz, _, rules, _, window_start, window_end = case
    now = window_start - timedelta(days=3)
    got = free_slots(tz, rules, [], [], policy, window_start, window_end, now)
    _check_shape(got, policy.duration_min)
    assert _as_set(got) == ref_free_slots(tz, rules, [], [], policy, window_start, window_end, now)


@FAST
@given(scenario(extras=True), full_policy(), st.data())
def test_everything_together_matches_reference(case, policy: SlotPolicy, data) -> None:
    tz, anchor, rules, overrides, window_start, window_end = case
    busy = data.draw(bookings(anchor))
    now = window_start + timedelta(minutes=15 * data.draw(st.integers(-4 * 48, 4 * 24)))
    got = free_slots(tz, rules, overrides, busy, policy, window_start, window_end, now)
    _check_shape(got, policy.duration_min)
    want = ref_free_slots(tz, rules, overrides, busy, policy, window_start, window_end, now)
    assert _as_set(got) == want


@settings(max_examples=120, deadline=None, database=None)
@given(scenario(extras=True), full_policy(), st.data())
def test_an_extra_booking_never_adds_slots(case, policy: SlotPolicy, data) -> None:
    tz, anchor, rules, overrides, window_start, window_end = case
    busy = data.draw(bookings(anchor))
    extra = data.draw(bookings(anchor))
    now = window_start - DAY
    fewer = free_slots(tz, rules, overrides, busy + extra, policy, window_start, window_end, now)
    more = free_slots(tz, rules, overrides, busy, policy, window_start, window_end, now)
    assert _as_set(fewer) <= _as_set(more)


@settings(max_examples=150, deadline=None, database=None)
@given(scenario(extras=True), policies)
def test_windows_match_reference_and_contain_every_slot(case, policy: SlotPolicy) -> None:
    tz, anchor, rules, overrides, _, _ = case
    first, last = anchor - DAY, anchor + DAY
    windows = availability_windows(tz, rules, overrides, first, last)
    assert windows == sorted(set(windows))
    assert set(windows) == ref_windows(tz, rules, overrides, first, last)
    # Slots on exactly those dates, without any blocking, must sit inside some window.
    extras = [o for o in overrides if o.kind == "extra"]
    zone = ZoneInfo(tz)
    lo = datetime.combine(first, MIDNIGHT, zone).astimezone(UTC)
    hi = datetime.combine(last + DAY, MIDNIGHT, zone).astimezone(UTC)
    slots = free_slots(tz, rules, extras, [], policy, lo, hi, lo - DAY)
    for slot in slots:
        assert any(ws <= slot.start and slot.end <= we for ws, we in windows), slot


SHIFTING = [name for name in ZONES if TRANSITIONS[name]]


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.sampled_from(SHIFTING),
    st.integers(0, 3),
    st.integers(0, 60),
    st.integers(1, 36),
    policies,
)
def test_single_range_edges_on_transition_days(
    tz: str, which: int, first_mark: int, length_marks: int, policy: SlotPolicy
) -> None:
    # Start and end on every 5-minute mark of the small hours, so ranges begin and end before,
    # inside and after each gap or fold.
    day = TRANSITIONS[tz][which]
    start, end = (time(m // 60, m % 60) for m in (5 * first_mark, 5 * (first_mark + length_marks)))
    override = [DateOverride("extra", day, day, start, end)]
    assert set(availability_windows(tz, [], override, day, day)) == ref_windows(
        tz, [], override, day, day
    )
    lo = datetime.combine(day - DAY, MIDNIGHT, UTC)
    hi = datetime.combine(day + 2 * DAY, MIDNIGHT, UTC)
    got = free_slots(tz, [], override, [], policy, lo, hi, lo - DAY)
    assert _as_set(got) == ref_free_slots(tz, [], override, [], policy, lo, hi, lo - DAY)
