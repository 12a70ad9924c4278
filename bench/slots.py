"""Time to list a week of free slots for 5,000 tutors, beside a naive baseline, and the size
and time of one page of ``GET /api/v1/slots`` beside the whole listing as JSON.

    python bench/slots.py [--tutors 5000] [--days 7] [--postgres URL] [--no-naive] [--no-sqlite]

The optimised path is ``lti_tool.scheduling.listing.subject_slots``: a fixed number of queries
and the slot engine's UTC arithmetic. The baseline is what a first version would do: per
tutor, separate queries for rules, exceptions and bookings, then every candidate start
resolved through pendulum and checked against every booking. Both must find the same slots.

The page is what the API answers now (``per_tutor=3&limit=60``, the first page and a page from
the middle of the tutors), through the whole Flask request; the whole listing is every slot of
every tutor as JSON, what the endpoint answered before it was paged. Targets: a page in under
200 ms and 200 kB for 5,000 tutors, under 500 ms for 50,000 on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import random
import statistics
import sys
import tempfile
import time
import typing as t
import uuid
from collections.abc import Callable
from pathlib import Path

import pendulum
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lti_tool.app import create_app  # noqa: E402
from lti_tool.models import AvailabilityRule  # noqa: E402
from lti_tool.models import Base  # noqa: E402
from lti_tool.models import Booking  # noqa: E402
from lti_tool.models import Subject  # noqa: E402
from lti_tool.models import TutorProfile  # noqa: E402
from lti_tool.models import TutorSubject  # noqa: E402
from lti_tool.models import User  # noqa: E402
from lti_tool.models import db  # noqa: E402
from lti_tool.scheduling.listing import occupying  # noqa: E402
from lti_tool.scheduling.listing import subject_slots  # noqa: E402
from lti_tool.web.slots_api import SlotFormatter  # noqa: E402
from lti_tool.web.slots_api import encode_cursor  # noqa: E402

T = t.TypeVar("T")
ZONES = (
    "America/New_York",
    "Europe/London",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Pacific/Chatham",
    "Africa/Casablanca",
    "Europe/Berlin",
    "America/Los_Angeles",
    "Australia/Sydney",
)
NOW = dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC)
WINDOW_START = dt.datetime(2026, 10, 22, tzinfo=dt.UTC)  # spans Europe's clock change


def seed(tutors: int, days: int) -> Subject:
    rng = random.Random(7)
    subject = Subject(slug="bench", name="Bench")
    db.session.add(subject)
    db.session.flush()
    users = [
        {
            "name": f"T{i}",
            "email": f"t{i}@bench.example",
            "timezone": "UTC",
            "calendar_token": uuid.uuid4().hex,
            "is_active": True,
        }
        for i in range(tutors)
    ]
    db.session.execute(sa.insert(User), users)
    user_ids = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
    profiles = [
        {
            "user_id": uid,
            "timezone": ZONES[i % len(ZONES)],
            "languages": ["en"],
            "price_cents": 3000,
            "session_lengths": [30, 60],
            "interval_min": 30,
            "min_notice_min": 60,
            "horizon_days": 60,
            "buffer_before_min": 0,
            "buffer_after_min": 10,
            "is_active": True,
        }
        for i, uid in enumerate(user_ids)
    ]
    db.session.execute(sa.insert(TutorProfile), profiles)
    rows = db.session.execute(sa.select(TutorProfile.id, TutorProfile.user_id)).all()
    db.session.execute(
        sa.insert(TutorSubject),
        [{"tutor_id": pid, "subject_id": subject.id, "level": "all"} for pid, _ in rows],
    )
    rules = []
    for pid, _ in rows:
        for weekday in rng.sample(range(7), k=rng.randint(3, 5)):
            start = rng.choice([0, 1, 6, 8, 9, 14, 17])
            rules.append(
                {
                    "tutor_id": pid,
                    "weekday": weekday,
                    "start_time": dt.time(start),
                    "end_time": dt.time(min(start + rng.randint(2, 5), 23), 30),
                }
            )
    db.session.execute(sa.insert(AvailabilityRule), rules)
    learner = User(name="L", email="l@bench.example")
    db.session.add(learner)
    db.session.flush()
    bookings = []
    for pid, _ in rows:
        for _ in range(2):
            start = WINDOW_START + dt.timedelta(days=rng.randrange(days), hours=rng.randrange(24))
            bookings.append(
                {
                    "tutor_id": pid,
                    "learner_id": learner.id,
                    "subject_id": subject.id,
                    "uid": uuid.uuid4().hex,
                    "start_at": start,
                    "end_at": start + dt.timedelta(hours=1),
                    "block_start": start,
                    "block_end": start + dt.timedelta(minutes=70),
                    "state": "confirmed",
                    "price_cents": 0,
                    "currency": "usd",
                    "sequence": 0,
                    "cancel_reason": "",
                }
            )
    # Random bookings may collide; insert one by one and skip the ones the database refuses.
    for booking in bookings:
        try:
            with db.session.begin_nested():
                db.session.execute(sa.insert(Booking), [booking])
        except sa.exc.IntegrityError:
            pass
    db.session.commit()
    return subject


def naive_slots(subject: Subject, start: dt.datetime, end: dt.datetime, minutes: int) -> int:
    """Per-tutor queries and pendulum for every candidate start."""
    found = 0
    duration = dt.timedelta(minutes=minutes)
    tutor_ids = db.session.scalars(
        sa.select(TutorSubject.tutor_id).where(TutorSubject.subject_id == subject.id)
    ).all()
    for tutor_id in tutor_ids:
        tutor = db.session.get(TutorProfile, tutor_id)
        assert tutor is not None
        rules = db.session.scalars(
            sa.select(AvailabilityRule).where(AvailabilityRule.tutor_id == tutor_id)
        ).all()
        busy = db.session.execute(
            sa.select(Booking.block_start, Booking.block_end).where(
                Booking.tutor_id == tutor_id, occupying(NOW)
            )
        ).all()
        before = dt.timedelta(minutes=tutor.buffer_before_min)
        after = dt.timedelta(minutes=tutor.buffer_after_min)
        first = pendulum.instance(start).in_timezone(tutor.timezone).date().subtract(days=1)
        last = pendulum.instance(end).in_timezone(tutor.timezone).date().add(days=1)
        day = first
        while day <= last:
            for rule in rules:
                if rule.weekday != day.weekday():
                    continue
                range_end = pendulum.datetime(
                    day.year,
                    day.month,
                    day.day,
                    rule.end_time.hour,
                    rule.end_time.minute,
                    tz=tutor.timezone,
                    fold=0,
                )
                if rule.end_time == dt.time(0):
                    range_end = range_end.add(days=1)
                wall = pendulum.datetime(
                    day.year,
                    day.month,
                    day.day,
                    rule.start_time.hour,
                    rule.start_time.minute,
                    tz=tutor.timezone,
                )
                while wall.naive() < range_end.naive():
                    candidate = pendulum.datetime(
                        wall.year,
                        wall.month,
                        wall.day,
                        wall.hour,
                        wall.minute,
                        tz=tutor.timezone,
                        fold=0,
                    )
                    exists = candidate.naive() == wall.naive() and (
                        candidate.in_timezone("UTC").in_timezone(tutor.timezone).naive()
                        == wall.naive()
                    )
                    s = candidate.in_timezone("UTC")
                    if (
                        exists
                        and start <= s < end
                        and s + duration <= range_end
                        and s >= NOW + dt.timedelta(minutes=tutor.min_notice_min)
                        and s < NOW + dt.timedelta(days=tutor.horizon_days)
                        and not any(
                            s - before < be and bs < s + duration + after for bs, be in busy
                        )
                    ):
                        found += 1
                    wall = wall.naive().__add__(dt.timedelta(minutes=tutor.interval_min))
                    wall = pendulum.instance(wall, tz=tutor.timezone)
            day = day.add(days=1)
    return found


def whole_listing_json(subject: Subject, end: dt.datetime) -> bytes:
    """Every slot of every tutor as the API's JSON: what the endpoint answered unpaged."""
    formatter = SlotFormatter("UTC")
    slots = []
    for s in subject_slots(subject, WINDOW_START, end, 60, NOW):
        item = formatter.slot(s.start, s.end, s.tutor_timezone)
        item.update(
            tutor_id=s.tutor_id,
            tutor_name=s.tutor_name,
            tutor_timezone=s.tutor_timezone,
            duration=s.duration_min,
        )
        slots.append(item)
    return json.dumps({"subject": subject.slug, "slots": slots}, separators=(",", ":")).encode()


def timed(repeats: int, call: Callable[[], T]) -> tuple[float, T]:
    times, result = [], None
    for _ in range(repeats):
        db.session.expire_all()
        began = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - began)
    assert result is not None
    return statistics.median(times), result


def run(url: str, label: str, tutors: int, days: int, repeats: int, naive: bool) -> None:
    app = create_app({"database_url": url, "async_mode": "threading", "redis_url": ""})
    app.config["CLOCK"] = lambda: NOW
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        began = time.perf_counter()
        subject = seed(tutors, days)
        print(f"[{label}] seeded {tutors} tutors in {time.perf_counter() - began:.1f}s")
        end = WINDOW_START + dt.timedelta(days=days)
        fast, slots = timed(repeats, lambda: subject_slots(subject, WINDOW_START, end, 60, NOW))
        print(f"[{label}] listing      {fast:7.3f}s  ({len(slots)} slots, median of {repeats})")
        if naive:
            db.session.expire_all()
            began = time.perf_counter()
            found = naive_slots(subject, WINDOW_START, end, 60)
            naive_time = time.perf_counter() - began
            print(f"[{label}] naive        {naive_time:7.2f}s  ({found} slots)")
            print(f"[{label}] speed-up     {naive_time / fast:7.1f}x")
            if found != len(slots):
                print(f"[{label}] MISMATCH: listing found {len(slots)}, baseline {found}")

        whole_time, whole = timed(repeats, lambda: whole_listing_json(subject, end))
        print(
            f"[{label}] whole listing (JSON)  {whole_time * 1000:8.1f} ms"
            f" {len(whole) / 1e3:10.1f} kB"
        )
        client = app.test_client()
        last = (WINDOW_START + dt.timedelta(days=days - 1)).date().isoformat()
        query = (
            f"/api/v1/slots?subject={subject.slug}&start={WINDOW_START.date().isoformat()}"
            f"&end={last}&tz=UTC&duration=60&per_tutor=3&limit=60"
        )
        middle = db.session.scalar(
            sa.select(TutorProfile.id).order_by(TutorProfile.id).offset(tutors // 2).limit(1)
        )
        for name, url_of_page in (
            ("first page", query),
            ("middle page", f"{query}&cursor={encode_cursor(int(middle or 0))}"),
        ):
            page_time, response = timed(repeats, functools.partial(client.get, url_of_page))
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            body = response.get_data()
            count = len(json.loads(body)["slots"])
            print(
                f"[{label}] {name:11s} (API)   {page_time * 1000:8.1f} ms"
                f" {len(body) / 1e3:10.1f} kB"
                f"  ({count} slots; {whole_time / page_time:.0f}x faster,"
                f" {len(whole) / len(body):.0f}x smaller than the whole listing)"
            )
        db.session.remove()
        Base.metadata.drop_all(db.engine)
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tutors", type=int, default=5000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("LTI_TOOL_TEST_POSTGRES_URL", ""))
    parser.add_argument("--no-naive", dest="naive", action="store_false")
    parser.add_argument("--no-sqlite", dest="sqlite", action="store_false")
    args = parser.parse_args()
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.sqlite"
            run(url, "sqlite", args.tutors, args.days, args.repeats, args.naive)
    if args.postgres:
        admin = sa.create_engine(
            sa.engine.make_url(args.postgres).set(drivername="postgresql+psycopg"),
            isolation_level="AUTOCOMMIT",
        )
        name = f"lti_tool_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            database = sa.engine.make_url(args.postgres).set(database=name)
            run(
                database.render_as_string(hide_password=False),
                "postgresql",
                args.tutors,
                args.days,
                args.repeats,
                args.naive,
            )
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        print("[postgresql] skipped: pass --postgres URL or set LTI_TOOL_TEST_POSTGRES_URL")


if __name__ == "__main__":
    main()
