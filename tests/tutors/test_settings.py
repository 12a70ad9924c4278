"""Checking and saving a tutor's settings, and what the slot engine gets from them."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from flask import Flask

from lti_tool.models import AvailabilityOverride
from lti_tool.models import AvailabilityRule
from lti_tool.models import TutorProfile
from lti_tool.models import db
from lti_tool.scheduling import DateOverride
from lti_tool.scheduling import SlotPolicy
from lti_tool.scheduling import WeeklyRange
from lti_tool.scheduling import free_slots
from lti_tool.tutors.fields import TutorSettingsError
from lti_tool.tutors.fields import model_default
from lti_tool.tutors.fields import parse_overrides
from lti_tool.tutors.fields import parse_price
from lti_tool.tutors.fields import parse_subjects
from lti_tool.tutors.fields import parse_timezone
from lti_tool.tutors.settings import format_availability
from lti_tool.tutors.settings import parse_availability
from lti_tool.tutors.settings import parse_rules
from lti_tool.tutors.settings import policy_for
from lti_tool.tutors.settings import save_settings
from lti_tool.tutors.settings import settings_dict
from lti_tool.tutors.settings import slot_inputs
from lti_tool.tutors.settings import validate_settings
from tests.tutors import make_subject
from tests.tutors import make_tutor

T = dt.time


def field_of(data: dict[str, t.Any]) -> str:
    with pytest.raises(TutorSettingsError) as caught:
        validate_settings(data, currency="usd")
    return caught.value.field


def test_compact_form_parses_several_ranges_a_day_and_renders_back() -> None:
    text = "Mon 09:00-12:00; mon 14:00-17:30; WED 18:00-21:00; Sunday 22:00-24:00"
    rules = parse_availability(text)
    assert rules == [
        WeeklyRange(0, T(9), T(12)),
        WeeklyRange(0, T(14), T(17, 30)),
        WeeklyRange(2, T(18), T(21)),
        WeeklyRange(6, T(22), T(0)),
    ]
    rendered = format_availability(rules)
    assert rendered == "Mon 09:00-12:00; Mon 14:00-17:30; Wed 18:00-21:00; Sun 22:00-24:00"
    assert parse_availability(rendered) == rules
    assert parse_availability("") == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Mon 09:00-12:00; Mon 11:00-13:00", "overlaps"),
        ("Xyz 09:00-12:00", "is not like"),
        ("Mon 9-12", "HH:MM"),
        ("Mon 12:00-09:00", "after the start"),
        ("Mon 24:00-24:00", "not a time of day"),
        ("Tue 10:00-25:00", "not a time of day"),
    ],
)
def test_compact_form_refuses_bad_text(text: str, reason: str) -> None:
    with pytest.raises(TutorSettingsError) as caught:
        parse_availability(text)
    assert caught.value.field == "availability"
    assert reason in caught.value.message


def test_touching_ranges_are_fine_and_overlaps_name_the_later_range() -> None:
    touching = [
        {"weekday": 1, "start": "12:00", "end": "13:00"},
        {"weekday": 1, "start": "09:00", "end": "12:00"},
        {"weekday": 2, "start": "10:00", "end": "11:00"},
    ]
    assert len(parse_rules(touching)) == 3
    overlapping = [*touching, {"weekday": 1, "start": "12:30", "end": "24:00"}]
    with pytest.raises(TutorSettingsError) as caught:
        parse_rules(overlapping)
    assert caught.value.field == "rules[3]"
    assert "Tue 12:00-13:00 overlaps Tue 12:30-24:00" in caught.value.message


def test_end_of_24_00_is_stored_as_midnight() -> None:
    [rule] = parse_rules([{"weekday": 4, "start": "00:00", "end": "24:00"}])
    assert rule == WeeklyRange(4, T(0), T(0))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "europe/paris"}, "timezone"),
        ({"rules": [{"weekday": 7, "start": "09:00", "end": "10:00"}]}, "rules[0].weekday"),
        ({"rules": [{"weekday": True, "start": "09:00", "end": "10:00"}]}, "rules[0].weekday"),
        ({"rules": [{"weekday": 0, "start": "9:00", "end": "10:00"}]}, "rules[0].start"),
        ({"rules": [{"weekday": 0, "start": "10:00", "end": "10:00"}]}, "rules[0].end"),
        # Arabic-Indic digits: int() reads them, so the pattern must not let them through.
        ({"rules": [{"weekday": 0, "start": "\u0660\u0669:00", "end": "10:00"}]}, "rules[0].start"),
        ({"interval_min": 0}, "interval_min"),
        ({"interval_min": "30"}, "interval_min"),
        ({"min_notice_min": -1}, "min_notice_min"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"buffer_after_min": 1.5}, "buffer_after_min"),
        ({"max_per_day": 0}, "max_per_day"),
        ({"session_lengths": []}, "session_lengths"),
        ({"session_lengths": [30, 1000]}, "session_lengths[1]"),
        ({"languages": ["en", "english!"]}, "languages[1]"),
        ({"price": "12.345"}, "price"),
        ({"price": "-1"}, "price"),
        ({"subjects": [{"slug": "algebra", "level": "Über"}]}, "subjects[0].level"),
        ({"colour": "blue"}, "colour"),
        ({"rules": [], "availability": "Mon 09:00-10:00"}, "availability"),
    ],
)
def test_bad_values_name_their_field(data: dict[str, t.Any], field: str) -> None:
    assert field_of(data) == field


def test_good_values_are_cleaned() -> None:
    cleaned = validate_settings(
        {
            "timezone": "America/Sao_Paulo",
            "availability": "Tue 08:00-12:00",
            "price": "35.50",
            "languages": ["PT", "en", "pt"],
            "session_lengths": [60, 30, 60],
            "max_per_day": None,
            "subjects": ["algebra:school", {"slug": "physics"}],
        },
        currency="usd",
    )
    assert cleaned == {
        "timezone": "America/Sao_Paulo",
        "rules": [WeeklyRange(1, T(8), T(12))],
        "price_cents": 3550,
        "languages": ["pt", "en"],
        "session_lengths": [30, 60],
        "max_per_day": None,
        "subjects": [("algebra", "school"), ("physics", "all")],
    }
    assert parse_price("35", currency="usd") == 3500 and parse_price(0, currency="usd") == 0
    assert parse_timezone("UTC") == "UTC"
    assert parse_subjects(["Programming in Python"]) == [("Programming in Python", "all")]


def test_overrides_extra_and_blocked() -> None:
    specs = parse_overrides(
        [
            {"kind": "extra", "date": "2026-12-20", "start": "10:00", "end": "12:00"},
            {"kind": "blocked", "first_date": "2026-12-24", "last_date": "2026-12-26"},
            {
                "kind": "blocked",
                "first_date": "2027-01-02",
                "last_date": "2027-01-04",
                "start": "18:00",
                "end": "09:00",
                "note": "trip",
            },
        ]
    )
    assert [s.override for s in specs] == [
        DateOverride("extra", dt.date(2026, 12, 20), dt.date(2026, 12, 20), T(10), T(12)),
        DateOverride("blocked", dt.date(2026, 12, 24), dt.date(2026, 12, 26)),
        DateOverride("blocked", dt.date(2027, 1, 2), dt.date(2027, 1, 4), T(18), T(9)),
    ]
    assert specs[2].note == "trip"


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"kind": "holiday", "date": "2026-12-20"}, "overrides[0].kind"),
        ({"kind": "extra", "date": "2026-12-20"}, "overrides[0].start"),
        ({"kind": "extra", "date": "2026-12-20", "start": "10:00"}, "overrides[0].end"),
        ({"kind": "blocked", "date": "2026-02-30"}, "overrides[0].first_date"),
        ({"kind": "blocked", "date": "\u0662026-12-20"}, "overrides[0].first_date"),
        ({"kind": "blocked", "first_date": "2026-05-02", "last_date": "2026-05-01"}, None),
        ({"kind": "extra", "date": "2026-12-20", "start": "12:00", "end": "10:00"}, None),
    ],
)
def test_bad_overrides_name_their_field(item: dict[str, t.Any], field: str | None) -> None:
    with pytest.raises(TutorSettingsError) as caught:
        parse_overrides([item])
    assert caught.value.field.startswith("overrides[0].")
    if field:
        assert caught.value.field == field


def test_save_settings_writes_everything_or_nothing(app: Flask) -> None:
    make_subject("physics", "Physics")
    profile = make_tutor()
    save_settings(
        profile,
        {
            "timezone": "Asia/Kolkata",
            "rules": [
                {"weekday": 0, "start": "09:00", "end": "12:00"},
                {"weekday": 0, "start": "14:00", "end": "17:30"},
                {"weekday": 6, "start": "20:00", "end": "24:00"},
            ],
            "overrides": [{"kind": "blocked", "date": "2026-12-25", "note": "Holiday"}],
            "interval_min": 15,
            "max_per_day": 4,
            "subjects": ["physics:university"],
            "price": "40.00",
        },
        currency="usd",
    )
    db.session.expire_all()
    profile = db.session.get(TutorProfile, profile.id)
    assert profile is not None
    assert profile.timezone == "Asia/Kolkata"
    assert [(r.weekday, r.start_time, r.end_time) for r in profile.rules] == [
        (0, T(9), T(12)),
        (0, T(14), T(17, 30)),
        (6, T(20), T(0)),
    ]
    assert [(s.subject.slug, s.level) for s in profile.subjects] == [("physics", "university")]
    assert (profile.interval_min, profile.max_per_day, profile.price_cents) == (15, 4, 4000)
    before = settings_dict(profile)
    assert before["availability"] == "Mon 09:00-12:00; Mon 14:00-17:30; Sun 20:00-24:00"
    assert before["overrides"][0]["note"] == "Holiday"

    with pytest.raises(TutorSettingsError):
        save_settings(profile, {"timezone": "Europe/Oslo", "interval_min": -5}, currency="usd")
    with pytest.raises(TutorSettingsError) as caught:
        save_settings(profile, {"rules": [], "subjects": ["no-such-subject"]}, currency="usd")
    assert caught.value.field == "subjects[0]"
    db.session.expire_all()
    assert settings_dict(db.session.get(TutorProfile, profile.id)) == before  # type: ignore[arg-type]
    assert db.session.query(AvailabilityRule).count() == 3
    assert db.session.query(AvailabilityOverride).count() == 1


@pytest.mark.parametrize(
    ("currency", "price", "stored"),
    [("jpy", "3500", 3500), ("kwd", "12.5", 12500), ("kwd", "12.340", 12340), ("usd", "35", 3500)],
)
def test_prices_are_kept_in_the_currencys_minor_unit(
    app: Flask, currency: str, price: str, stored: int
) -> None:
    profile = make_tutor()
    save_settings(profile, {"price": price}, currency=currency)
    db.session.expire_all()
    assert db.session.get(TutorProfile, profile.id).price_cents == stored  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("currency", "price", "message"),
    [
        ("jpy", "35.5", "JPY prices have no decimals"),
        ("kwd", "12.345", "prices in KWD go in steps of 0.010"),
        ("usd", "35.505", "USD prices have at most 2 decimals"),
    ],
)
def test_a_price_the_currency_cannot_hold_changes_nothing(
    app: Flask, currency: str, price: str, message: str
) -> None:
    profile = make_tutor(price_cents=4000, interval_min=30)
    with pytest.raises(TutorSettingsError) as caught:
        save_settings(profile, {"interval_min": 15, "price": price}, currency=currency)
    assert (caught.value.field, caught.value.message.split(",")[0]) == ("price", message)
    db.session.rollback()
    db.session.expire_all()
    saved = db.session.get(TutorProfile, profile.id)
    assert saved is not None and (saved.price_cents, saved.interval_min) == (4000, 30)


def test_slot_inputs_and_policy_feed_the_slot_engine(app: Flask) -> None:
    profile = make_tutor(timezone="America/New_York", session_lengths=[45, 60])
    save_settings(
        profile,
        {
            "availability": "Mon 09:00-11:00",
            "overrides": [
                {"kind": "extra", "date": "2026-03-10", "start": "13:00", "end": "14:00"},
                {"kind": "blocked", "date": "2026-03-16"},
            ],
            "min_notice_min": 0,
            "buffer_after_min": 0,
        },
        currency="usd",
    )
    rules, overrides = slot_inputs(profile)
    assert rules == [WeeklyRange(0, T(9), T(11))]
    assert DateOverride("blocked", dt.date(2026, 3, 16), dt.date(2026, 3, 16)) in overrides
    policy = policy_for(profile, 60)
    assert policy == SlotPolicy(
        duration_min=60,
        interval_min=30,
        min_notice_min=0,
        horizon_days=60,
        buffer_before_min=0,
        buffer_after_min=0,
        max_per_day=None,
    )
    with pytest.raises(TutorSettingsError):
        policy_for(profile, 90)
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    slots = free_slots(
        profile.timezone,
        rules,
        overrides,
        [],
        policy,
        now,
        now + dt.timedelta(days=21),
        now,
    )
    starts = [slot.start for slot in slots]
    # 09:00 New York is 14:00 UTC before the 8 March change and 13:00 UTC after it.
    assert dt.datetime(2026, 3, 2, 14, tzinfo=dt.UTC) in starts
    assert dt.datetime(2026, 3, 9, 13, tzinfo=dt.UTC) in starts
    assert dt.datetime(2026, 3, 10, 17, tzinfo=dt.UTC) in starts
    assert not [s for s in starts if s.date() == dt.date(2026, 3, 16)]


def test_defaults_come_from_the_model() -> None:
    assert model_default("session_lengths") == [30, 60]
    assert model_default("min_notice_min") == 720
    assert model_default("max_per_day") is None
