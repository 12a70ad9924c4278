"""Worked examples of the slot rule in docs/scheduling.md, one situation per test."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

import pendulum
import pytest

from lti_tool.scheduling import Busy
from lti_tool.scheduling import DateOverride
from lti_tool.scheduling import SlotPolicy
from lti_tool.scheduling import WeeklyRange
from lti_tool.scheduling import availability_windows
from lti_tool.scheduling import free_slots
from lti_tool.scheduling import overlaps

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
DAY = timedelta(days=1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def day_window(tz: str, day: date) -> tuple[datetime, datetime]:
    """One local calendar day in `tz`, as the UTC instants a caller would pass in."""
    start = pendulum.datetime(day.year, day.month, day.day, tz=tz)
    return start.in_timezone("UTC"), start.add(days=1).in_timezone("UTC")


def spans(
    tz: str,
    rules: Sequence[WeeklyRange],
    policy: SlotPolicy,
    day: date,
    *,
    overrides: Sequence[DateOverride] = (),
    busy: Sequence[Busy] = (),
) -> list[tuple[datetime, datetime]]:
    """Slots on the tutor's local `day`, asked for a day ahead so notice and horizon don't bite."""
    lo, hi = day_window(tz, day)
    slots = free_slots(tz, rules, overrides, busy, policy, lo, hi, lo - DAY)
    return [(s.start, s.end) for s in slots]


def starts(
    tz: str,
    rules: Sequence[WeeklyRange],
    policy: SlotPolicy,
    day: date,
    *,
    overrides: Sequence[DateOverride] = (),
    busy: Sequence[Busy] = (),
) -> list[datetime]:
    return [s for s, _ in spans(tz, rules, policy, day, overrides=overrides, busy=busy)]


# --------------------------------------------------------------------- clock changes


def test_new_york_spring_forward_skips_missing_starts() -> None:
    # 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT.
    rules = [WeeklyRange(SUN, time(1, 30), time(3, 30))]
    got = spans("America/New_York", rules, SlotPolicy(30), date(2026, 3, 8))
    # 01:30 EST and 03:00 EDT; 02:00 and 02:30 never happen that night.
    assert got == [
        (utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7)),
        (utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 30)),
    ]
    # The range itself is one real hour long: 01:30 EST to 03:30 EDT.
    windows = availability_windows(
        "America/New_York", rules, (), date(2026, 3, 8), date(2026, 3, 8)
    )
    assert windows == [(utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 30))]


def test_new_york_spring_forward_end_inside_the_gap_moves_forward() -> None:
    # The range ends at 02:30, which does not exist; it ends at 03:30 EDT instead (07:30 UTC).
    rules = [WeeklyRange(SUN, time(1), time(2, 30))]
    got = spans("America/New_York", rules, SlotPolicy(60), date(2026, 3, 8))
    assert got == [
        (utc(2026, 3, 8, 6), utc(2026, 3, 8, 7)),
        (utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 30)),
    ]


def test_a_range_lying_wholly_in_the_gap_offers_nothing() -> None:
    rules = [WeeklyRange(SUN, time(2, 30), time(3))]
    assert spans("America/New_York", rules, SlotPolicy(15), date(2026, 3, 8)) == []
    assert (
        availability_windows("America/New_York", rules, (), date(2026, 3, 8), date(2026, 3, 8))
        == []
    )


def test_a_range_starting_in_the_gap_is_available_from_the_moment_the_gap_ends() -> None:
    rules = [WeeklyRange(SUN, time(2, 30), time(4))]
    windows = availability_windows(
        "America/New_York", rules, (), date(2026, 3, 8), date(2026, 3, 8)
    )
    assert windows == [(utc(2026, 3, 8, 7), utc(2026, 3, 8, 8))]  # 03:00 EDT .. 04:00 EDT
    got = spans("America/New_York", rules, SlotPolicy(30), date(2026, 3, 8))
    assert [s for s, _ in got] == [utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 30)]


def test_new_york_fall_back_uses_the_first_occurrence() -> None:
    # 2026-11-01: 01:00-02:00 happens twice, first in EDT (05:00-06:00 UTC), then in EST.
    rules = [WeeklyRange(SUN, time(0, 30), time(2))]
    got = spans("America/New_York", rules, SlotPolicy(30), date(2026, 11, 1))
    assert got == [
        (utc(2026, 11, 1, 4, 30), utc(2026, 11, 1, 5)),
        (utc(2026, 11, 1, 5), utc(2026, 11, 1, 5, 30)),
        (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6)),
    ]
    # The range still ends at 02:00 EST, so a long slot may run through the repeated hour.
    long = spans("America/New_York", rules, SlotPolicy(90, interval_min=30), date(2026, 11, 1))
    assert long[-1] == (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7))


def test_new_york_fall_back_ambiguous_end_is_the_first_occurrence() -> None:
    rules = [WeeklyRange(SUN, time(0, 30), time(1, 30))]
    got = spans("America/New_York", rules, SlotPolicy(30), date(2026, 11, 1))
    assert [e for _, e in got] == [utc(2026, 11, 1, 5), utc(2026, 11, 1, 5, 30)]


def test_lord_howe_half_hour_spring_forward() -> None:
    # 2026-10-04: 02:00 +10:30 becomes 02:30 +11:00, so 02:00 and 02:15 do not exist.
    rules = [WeeklyRange(SUN, time(1, 30), time(3))]
    got = starts("Australia/Lord_Howe", rules, SlotPolicy(15, interval_min=15), date(2026, 10, 4))
    assert got == [
        utc(2026, 10, 3, 15),  # 01:30 +10:30
        utc(2026, 10, 3, 15, 15),  # 01:45 +10:30
        utc(2026, 10, 3, 15, 30),  # 02:30 +11:00
        utc(2026, 10, 3, 15, 45),  # 02:45 +11:00
    ]


def test_lord_howe_half_hour_fall_back() -> None:
    # 2026-04-05: 02:00 +11:00 becomes 01:30 +10:30; 01:30-02:00 happens twice.
    rules = [WeeklyRange(SUN, time(1), time(2, 30))]
    got = starts("Australia/Lord_Howe", rules, SlotPolicy(30), date(2026, 4, 5))
    # 01:00 and 01:30 (first time, +11:00), then 02:00 +10:30; the repeated half hour is skipped.
    assert got == [utc(2026, 4, 4, 14), utc(2026, 4, 4, 14, 30), utc(2026, 4, 4, 15, 30)]


def test_kathmandu_quarter_hour_offset() -> None:
    rules = [WeeklyRange(MON, time(9), time(10))]
    got = spans("Asia/Kathmandu", rules, SlotPolicy(30), date(2026, 6, 1))
    assert got == [
        (utc(2026, 6, 1, 3, 15), utc(2026, 6, 1, 3, 45)),
        (utc(2026, 6, 1, 3, 45), utc(2026, 6, 1, 4, 15)),
    ]


# ------------------------------------------------------------------- dates and ranges


def test_tokyo_tutor_seen_from_a_new_york_learners_day() -> None:
    # The learner asks for Monday 2026-06-01 in New York: 04:00 UTC Mon .. 04:00 UTC Tue, which
    # is Monday 13:00 .. Tuesday 13:00 in Tokyo.
    rules = [
        WeeklyRange(MON, time(9), time(10)),  # Sunday evening in New York: outside
        WeeklyRange(TUE, time(8), time(10)),  # Monday 19:00-21:00 in New York: inside
        WeeklyRange(TUE, time(13), time(14)),  # Tuesday 00:00 in New York: outside
    ]
    lo, hi = day_window("America/New_York", date(2026, 6, 1))
    assert (lo, hi) == (utc(2026, 6, 1, 4), utc(2026, 6, 2, 4))
    got = free_slots("Asia/Tokyo", rules, (), (), SlotPolicy(60, interval_min=60), lo, hi, lo - DAY)
    assert [s.start for s in got] == [utc(2026, 6, 1, 23), utc(2026, 6, 2, 0)]
    local = [pendulum.instance(s.start).in_timezone("America/New_York").hour for s in got]
    assert local == [19, 20]


def test_midnight_end_means_end_of_day() -> None:
    rules = [WeeklyRange(FRI, time(22), time(0, 0)), WeeklyRange(SAT, time(0), time(0))]
    fri = spans("Europe/London", rules, SlotPolicy(60, interval_min=60), date(2026, 1, 16))
    assert fri == [
        (utc(2026, 1, 16, 22), utc(2026, 1, 16, 23)),
        (utc(2026, 1, 16, 23), utc(2026, 1, 17)),
    ]
    sat = starts("Europe/London", rules, SlotPolicy(240, interval_min=240), date(2026, 1, 17))
    assert sat == [utc(2026, 1, 17, h) for h in (0, 4, 8, 12, 16, 20)]


def test_extra_override_adds_a_range_on_its_dates_only() -> None:
    extra = DateOverride("extra", date(2026, 6, 3), date(2026, 6, 4), time(14), time(15))
    policy = SlotPolicy(30)
    for day, expected in [
        (date(2026, 6, 2), 0),
        (date(2026, 6, 3), 2),
        (date(2026, 6, 4), 2),
        (date(2026, 6, 5), 0),
    ]:
        assert len(starts("UTC", [], policy, day, overrides=[extra])) == expected


def test_overlapping_ranges_do_not_duplicate_slots() -> None:
    rules = [WeeklyRange(WED, time(9), time(11)), WeeklyRange(WED, time(9), time(11))]
    extra = DateOverride("extra", date(2026, 6, 3), date(2026, 6, 3), time(10), time(12))
    got = starts("UTC", rules, SlotPolicy(30), date(2026, 6, 3), overrides=[extra])
    assert got == [utc(2026, 6, 3, 9) + timedelta(minutes=30 * k) for k in range(6)]


def test_ranges_are_not_merged_before_cutting_slots() -> None:
    # 09:00-10:00 and 10:00-11:00 are two ranges: an hour-long slot at 09:30 fits neither.
    rules = [WeeklyRange(WED, time(9), time(10)), WeeklyRange(WED, time(10), time(11))]
    got = starts("UTC", rules, SlotPolicy(60, interval_min=30), date(2026, 6, 3))
    assert got == [utc(2026, 6, 3, 9), utc(2026, 6, 3, 10)]


def test_blocked_whole_day() -> None:
    rules = [WeeklyRange(d, time(9), time(12)) for d in (MON, TUE, WED)]
    off = DateOverride("blocked", date(2026, 6, 2), date(2026, 6, 2))
    policy = SlotPolicy(60, interval_min=60)
    assert len(starts("Europe/Berlin", rules, policy, date(2026, 6, 1), overrides=[off])) == 3
    assert starts("Europe/Berlin", rules, policy, date(2026, 6, 2), overrides=[off]) == []
    assert len(starts("Europe/Berlin", rules, policy, date(2026, 6, 3), overrides=[off])) == 3


def test_blocked_part_of_a_day_removes_overlapping_slots_only() -> None:
    rules = [WeeklyRange(TUE, time(9), time(13))]
    off = DateOverride("blocked", date(2026, 6, 2), date(2026, 6, 2), time(10), time(11))
    got = starts("UTC", rules, SlotPolicy(60, interval_min=30), date(2026, 6, 2), overrides=[off])
    # 09:30-10:30 and 10:00-11:00 and 10:30-11:30 touch the blocked hour; 09:00-10:00 only meets it.
    assert got == [utc(2026, 6, 2, h, m) for h, m in [(9, 0), (11, 0), (11, 30), (12, 0)]]


def test_blocked_interval_spanning_several_days() -> None:
    rules = [WeeklyRange(d, time(9), time(17)) for d in range(7)]
    off = DateOverride("blocked", date(2026, 6, 1), date(2026, 6, 3), time(15), time(10))
    policy = SlotPolicy(60, interval_min=60)
    assert starts("UTC", rules, policy, date(2026, 6, 1), overrides=[off])[-1] == utc(
        2026, 6, 1, 14
    )
    assert starts("UTC", rules, policy, date(2026, 6, 2), overrides=[off]) == []
    assert starts("UTC", rules, policy, date(2026, 6, 3), overrides=[off])[0] == utc(2026, 6, 3, 10)


# ------------------------------------------------------------------ bookings and limits


def test_padded_slot_must_clear_the_booked_span() -> None:
    rules = [WeeklyRange(WED, time(8), time(13))]
    # The booked span is the session 10:00-11:00 with its own 10-minute buffers around it.
    booking = Busy(utc(2026, 6, 3, 9, 50), utc(2026, 6, 3, 11, 10))
    policy = SlotPolicy(30, interval_min=10, buffer_before_min=10, buffer_after_min=20)
    got = set(starts("UTC", rules, policy, date(2026, 6, 3), busy=[booking]))
    # Before: the slot's 20-minute after-buffer must end by 09:50, so the slot ends by 09:30.
    assert utc(2026, 6, 3, 9) in got  # ends 09:30, padded to 09:50
    assert utc(2026, 6, 3, 9, 10) not in got
    # After: the slot's 10-minute before-buffer may start at 11:10, so the slot at 11:20.
    assert utc(2026, 6, 3, 11, 10) not in got
    assert utc(2026, 6, 3, 11, 20) in got
    # Without buffers the slots may touch the booking.
    plain = set(
        starts("UTC", rules, SlotPolicy(30, interval_min=10), date(2026, 6, 3), busy=[booking])
    )
    assert {utc(2026, 6, 3, 9, 20), utc(2026, 6, 3, 11, 10)} <= plain
    assert utc(2026, 6, 3, 9, 30) not in plain


def test_max_per_day_counts_bookings_on_the_tutors_local_date() -> None:
    rules = [WeeklyRange(d, time(9), time(18)) for d in range(7)]
    policy = SlotPolicy(60, interval_min=60, max_per_day=2)
    # 23:30 UTC on 1 June is already 08:30 on 2 June in Tokyo.
    busy = [
        Busy(utc(2026, 6, 1, 23, 30), utc(2026, 6, 2, 0)),
        Busy(utc(2026, 6, 2, 5), utc(2026, 6, 2, 6)),
    ]
    assert starts("Asia/Tokyo", rules, policy, date(2026, 6, 2), busy=busy) == []
    one = starts("Asia/Tokyo", rules, policy, date(2026, 6, 2), busy=busy[1:])
    assert len(one) == 8  # nine hourly slots less the one at 14:00 that clashes with the booking
    assert len(starts("Asia/Tokyo", rules, policy, date(2026, 6, 1), busy=busy)) == 9


def test_min_notice_and_horizon() -> None:
    rules = [WeeklyRange(d, time(9), time(12)) for d in range(7)]
    now = utc(2026, 6, 1, 9, 20)
    policy = SlotPolicy(30, min_notice_min=60, horizon_days=2)
    lo, hi = utc(2026, 6, 1), utc(2026, 6, 5)
    got = [s.start for s in free_slots("UTC", rules, (), (), policy, lo, hi, now)]
    assert got[0] == utc(2026, 6, 1, 10, 30)  # first start at or after 10:20
    assert got[-1] == utc(2026, 6, 3, 9)  # horizon ends 2026-06-03 09:20
    assert utc(2026, 6, 3, 9, 30) not in got


# ------------------------------------------------------------------ validation and helpers


@pytest.mark.parametrize(
    "build",
    [
        lambda: WeeklyRange(MON, time(10), time(10)),
        lambda: WeeklyRange(MON, time(11), time(10)),
        lambda: WeeklyRange(7, time(9), time(10)),
        lambda: DateOverride("extra", date(2026, 6, 1), date(2026, 6, 1)),
        lambda: DateOverride("extra", date(2026, 6, 1), date(2026, 6, 1), time(12), time(9)),
        lambda: DateOverride("blocked", date(2026, 6, 2), date(2026, 6, 1)),
        lambda: DateOverride("blocked", date(2026, 6, 1), date(2026, 6, 1), time(9), None),
        lambda: SlotPolicy(0),
        lambda: Busy(utc(2026, 6, 1, 10), utc(2026, 6, 1, 10)),
        lambda: Busy(datetime(2026, 6, 1, 10), datetime(2026, 6, 1, 11)),
    ],
)
def test_invalid_input_raises_value_error(build: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        build()


def test_naive_window_is_rejected() -> None:
    with pytest.raises(ValueError):
        free_slots(
            "UTC",
            [],
            [],
            [],
            SlotPolicy(30),
            datetime(2026, 6, 1),
            utc(2026, 6, 2),
            utc(2026, 5, 1),
        )


def test_midnight_end_is_valid_and_zero_interval_means_back_to_back() -> None:
    rule = WeeklyRange(WED, time(23), time(0))
    got = starts("UTC", [rule], SlotPolicy(20, interval_min=0), date(2026, 6, 3))
    assert got == [utc(2026, 6, 3, 23), utc(2026, 6, 3, 23, 20), utc(2026, 6, 3, 23, 40)]


def test_overlaps_is_half_open() -> None:
    assert overlaps(
        utc(2026, 1, 1, 9), utc(2026, 1, 1, 10), utc(2026, 1, 1, 9, 59), utc(2026, 1, 1, 11)
    )
    assert not overlaps(
        utc(2026, 1, 1, 9), utc(2026, 1, 1, 10), utc(2026, 1, 1, 10), utc(2026, 1, 1, 11)
    )


def test_max_per_day_counts_a_booking_on_its_session_date_not_its_buffer_date() -> None:
    rules = [WeeklyRange(day, time(0), time(0)) for day in range(7)]
    policy = SlotPolicy(60, interval_min=60, max_per_day=1, buffer_before_min=30)
    # The session starts at 00:15 on Thursday; its buffer begins at 23:45 on Wednesday.
    booking = Busy(
        utc(2026, 6, 3, 23, 45), utc(2026, 6, 4, 1, 15), session_start=utc(2026, 6, 4, 0, 15)
    )
    window = (utc(2026, 6, 3), utc(2026, 6, 5))
    got = free_slots("UTC", rules, [], [booking], policy, *window, now=utc(2026, 6, 1))
    assert any(slot.start.date() == date(2026, 6, 3) for slot in got)
    assert not any(slot.start.date() == date(2026, 6, 4) for slot in got)
