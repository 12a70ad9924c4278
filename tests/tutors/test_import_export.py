"""``lti-tool import tutors`` and ``lti-tool export bookings``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

import lti_tool.cli
from lti_tool.models import AvailabilityOverride
from lti_tool.models import AvailabilityRule
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import UserRole
from lti_tool.models import db
from lti_tool.testing import app_in_context
from lti_tool.tutors.csv_import import COLUMNS
from lti_tool.tutors.fields import parse_price
from tests.tutors import make_booking
from tests.tutors import make_subject
from tests.tutors import make_tutor
from tests.tutors import make_user

ZONES = ("Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC")
WEEK = "Mon 09:00-12:00; mon 14:00-17:30; Wed 18:00-24:00"


def row(i: int, **changes: str) -> dict[str, str]:
    values = {
        "external_id": f"ext-{i}",
        "name": f"Tutor {i}",
        "email": f"Tutor{i}@Example.org",
        "timezone": ZONES[i % len(ZONES)],
        "subjects": "algebra;Linear Algebra:university" if i % 2 else "Algebra:school",
        "languages": "en;fr",
        "price": f"{20 + i % 40}.50",
        "availability": WEEK,
        "min_notice_hours": str(i % 48),
        "horizon_days": "60",
        "interval_min": "30",
        "durations": "30;60",
    }
    return values | changes


def write_csv(path: Path, rows: t.Iterable[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(app: Flask, *args: str) -> Result:
    result = app.test_cli_runner().invoke(lti_tool.cli.cli, list(args))
    # The command ran in its own session; start a fresh read in ours.
    db.session.rollback()
    return result


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_ten_thousand_tutors(app: Flask, tmp_path: Path, database_url: str) -> None:
    make_subject()
    path = write_csv(tmp_path / "tutors.csv", (row(i) for i in range(10_000)))
    started = time.perf_counter()
    result = run(app, "import", "tutors", str(path), "--json")
    elapsed = time.perf_counter() - started
    print(f"\n10,000-tutor import on {database_url.split(':')[0]}: {elapsed:.1f} s")
    assert result.exit_code == 0, result.output
    ids = json.loads(result.stdout)
    assert len(ids) == 10_000
    assert elapsed < 30
    assert count(TutorProfile) == count(User) == count(UserRole) == 10_000
    assert count(AvailabilityRule) == 30_000
    assert count(TutorSubject) == 15_000
    assert sorted(db.session.scalars(sa.select(Subject.slug))) == ["algebra", "linear-algebra"]
    profile = db.session.get(TutorProfile, ids["ext-4321"])
    assert profile is not None
    assert profile.user.email == "tutor4321@example.org"
    assert profile.user.has_role(RoleName.TUTOR)
    assert profile.timezone == "America/New_York"
    assert profile.price_cents == 2050 + 100 * (4321 % 40)
    assert profile.min_notice_min == 60 * (4321 % 48)
    assert profile.session_lengths == [30, 60]
    assert [(r.weekday, r.start_time, r.end_time) for r in profile.rules] == [
        (0, dt.time(9), dt.time(12)),
        (0, dt.time(14), dt.time(17, 30)),
        (2, dt.time(18), dt.time(0)),
    ]
    assert {(s.subject.slug, s.level) for s in profile.subjects} == {
        ("algebra", "all"),
        ("linear-algebra", "university"),
    }
    tokens = db.session.scalars(sa.select(User.calendar_token)).all()
    assert len(set(tokens)) == 10_000


def test_one_bad_row_among_ten_thousand_writes_nothing(app: Flask, tmp_path: Path) -> None:
    rows = [row(i) for i in range(10_000)]
    rows[5_000]["timezone"] = "Mars/Olympus_Mons"
    path = write_csv(tmp_path / "tutors.csv", rows)
    result = run(app, "import", "tutors", str(path))
    assert result.exit_code == 1
    assert "line 5002: timezone: 'Mars/Olympus_Mons' is not an IANA timezone" in result.stderr
    assert "1 bad line; nothing was imported." in result.stderr
    assert count(TutorProfile) == count(User) == count(Subject) == 0


def test_report_lists_every_bad_line(app: Flask, tmp_path: Path) -> None:
    rows = [
        row(0),
        row(1, availability="Mon 09:00-12:00; Mon 11:00-13:00"),
        row(2, email="not-an-address"),
        row(3, price="ten"),
        row(4, external_id="ext-0"),
        row(5, durations="30;abc"),
        row(6, min_notice_hours="1.01"),
        row(7, subjects="algebra;+++"),
        row(8, interval_min="0"),
        row(9, name=""),
    ]
    path = write_csv(tmp_path / "tutors.csv", rows)
    result = run(app, "import", "tutors", str(path))
    assert result.exit_code == 1
    report = result.stderr.splitlines()
    assert report[0] == "9 bad lines; nothing was imported."
    expected = [
        "line 3: availability: Mon 09:00-12:00 overlaps Mon 11:00-13:00",
        "line 4: email:",
        "line 5: price:",
        "line 6: external_id: 'ext-0' is also on line 2",
        "line 7: durations:",
        "line 8: min_notice_hours:",
        "line 9: subjects:",
        "line 10: interval_min: must be between",
        "line 11: name: required",
    ]
    for line, prefix in zip(report[1:], expected, strict=True):
        assert line.startswith(prefix), line
    assert count(TutorProfile) == 0


def test_header_must_name_the_columns(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "tutors.csv"
    path.write_text("external_id,name,email\next-1,A,a@example.org\n")
    result = run(app, "import", "tutors", str(path))
    assert result.exit_code == 1
    assert "line 1: the header must name the columns external_id,name,email,timezone" in (
        result.stderr
    )


def test_a_file_that_is_not_utf8_is_refused(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "tutors.csv"
    path.write_bytes(",".join(COLUMNS).encode() + b"\nT-1,Jos\xe9,j@example.org,UTC,,,,,,,,\n")
    result = run(app, "import", "tutors", str(path))
    assert result.exit_code == 1
    assert "is not a UTF-8 CSV file" in result.stderr
    assert count(User) == 0


def test_reimport_updates_by_external_id(app: Flask, tmp_path: Path) -> None:
    first = run(app, "import", "tutors", str(write_csv(tmp_path / "a.csv", map(row, range(3)))))
    assert first.exit_code == 0, first.output
    assert first.stdout == "Imported 3 tutors: 3 new, 0 updated.\n"
    ids = {p.external_id: p.id for p in db.session.scalars(sa.select(TutorProfile))}
    profile = db.session.get(TutorProfile, ids["ext-1"])
    assert profile is not None
    profile.overrides = [
        AvailabilityOverride(
            kind="blocked", first_date=dt.date(2026, 5, 1), last_date=dt.date(2026, 5, 1)
        )
    ]
    profile.buffer_before_min = 7
    db.session.commit()

    changed = [
        row(0),
        row(
            1,
            name="Renamed",
            email="renamed@example.org",
            availability="Fri 10:00-11:00",
            subjects="Chemistry",
            price="",
            durations="",
        ),
        row(2),
        row(3),
    ]
    second = run(app, "import", "tutors", str(write_csv(tmp_path / "b.csv", changed)), "--json")
    assert second.exit_code == 0, second.output
    mapping = json.loads(second.stdout)
    assert {key: mapping[key] for key in ids} == ids
    assert set(mapping) == {"ext-0", "ext-1", "ext-2", "ext-3"}
    assert count(TutorProfile) == count(User) == 4
    db.session.expire_all()
    profile = db.session.get(TutorProfile, ids["ext-1"])
    assert profile is not None
    assert (profile.user.name, profile.user.email) == ("Renamed", "renamed@example.org")
    assert [(r.weekday, r.start_time) for r in profile.rules] == [(4, dt.time(10))]
    assert [(s.subject.slug, s.subject.name) for s in profile.subjects] == [
        ("chemistry", "Chemistry")
    ]
    # Blank cells go back to the defaults; what the file does not carry is kept.
    assert profile.price_cents == 0 and profile.session_lengths == [30, 60]
    assert len(profile.overrides) == 1 and profile.buffer_before_min == 7
    assert count(AvailabilityRule) == 3 + 3 + 1 + 3
    assert count(UserRole) == 4


def test_existing_people_and_email_conflicts(app: Flask, tmp_path: Path) -> None:
    learner = make_user(name="Already Here", email="here@example.org")
    tutor = make_tutor(name="Other Tutor")
    assert tutor.user.email is not None
    rows = [row(0, email="HERE@example.org"), row(1, email=tutor.user.email)]
    result = run(app, "import", "tutors", str(write_csv(tmp_path / "a.csv", rows)))
    assert result.exit_code == 1
    assert f"line 3: email: {tutor.user.email} already belongs to a tutor" in result.stderr
    assert count(TutorProfile) == 1

    result = run(app, "import", "tutors", str(write_csv(tmp_path / "b.csv", rows[:1])))
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    user = db.session.get(User, learner.id)
    assert user is not None and user.tutor_profile is not None
    assert user.role_names == {RoleName.LEARNER, RoleName.TUTOR}
    assert count(User) == 2

    # ext-0 now exists; it cannot take another person's address, nor share one in the file.
    rows = [row(0, email=tutor.user.email), row(5, email="x@example.org")]
    rows.append(row(6, email="X@example.org"))
    result = run(app, "import", "tutors", str(write_csv(tmp_path / "c.csv", rows)))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1:] == [
        f"line 2: email: {tutor.user.email} belongs to another person",
        "line 4: email: 'x@example.org' is also on line 3",
    ]
    db.session.expire_all()
    assert db.session.get(User, learner.id).email == "here@example.org"  # type: ignore[union-attr]


def test_export_bookings(app: Flask, tmp_path: Path) -> None:
    tutor = make_tutor(name="Tess Tutor", price_cents=3000)
    tutor.external_id = "T-1"
    db.session.commit()
    learner = make_user(email="lee@example.org")
    start = dt.datetime(2026, 6, 1, 13, 30, tzinfo=dt.UTC)
    first = make_booking(tutor, learner, start, minutes=45)
    make_booking(tutor, learner, start + dt.timedelta(days=1))

    out = tmp_path / "bookings.csv"
    result = run(app, "export", "bookings", "--format", "csv", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "Wrote 2 bookings" in result.stderr
    records = list(csv.DictReader(io.StringIO(out.read_text(), newline="")))
    assert records[0] == {
        "id": str(first.id),
        "uid": first.uid,
        "tutor_external_id": "T-1",
        "tutor_name": "Tess Tutor",
        "learner_email": "lee@example.org",
        "subject": "algebra",
        "start_utc": "2026-06-01T13:30:00Z",
        "end_utc": "2026-06-01T14:15:00Z",
        "state": "confirmed",
        "price": "22.50",
        "currency": "usd",
    }
    result = run(app, "export", "bookings", "--format", "json")
    assert result.exit_code == 0, result.output
    exported = json.loads(result.stdout)
    assert [record["id"] for record in exported] == [first.id, first.id + 1]
    assert exported[1]["start_utc"] == "2026-06-02T13:30:00Z"


def test_exported_csv_cells_never_run_as_spreadsheet_formulas(app: Flask, tmp_path: Path) -> None:
    tutor = make_tutor(name='=HYPERLINK("http://evil.example","click")', price_cents=3000)
    tutor.external_id = "@SUM(A1)"
    db.session.commit()
    learner = make_user(email="+cmd@example.org")
    make_booking(tutor, learner, dt.datetime(2026, 6, 1, 13, 30, tzinfo=dt.UTC))

    out = tmp_path / "bookings.csv"
    assert run(app, "export", "bookings", "--output", str(out)).exit_code == 0
    (record,) = csv.DictReader(io.StringIO(out.read_text(), newline=""))

    assert record["tutor_name"] == "'" + '=HYPERLINK("http://evil.example","click")'
    assert record["tutor_external_id"] == "'@SUM(A1)"
    assert record["learner_email"] == "'+cmd@example.org"
    assert record["price"] == "30.00"
    # JSON is for programs, not spreadsheets: it keeps the name as it is.
    exported = json.loads(run(app, "export", "bookings", "--format", "json").stdout)
    assert exported[0]["tutor_name"].startswith("=HYPERLINK")


@pytest.mark.parametrize(
    ("currency", "price", "hourly", "session", "exported"),
    [
        ("jpy", "3500", 3500, 45, "2625"),
        ("kwd", "12.340", 12340, 30, "6.170"),
        ("huf", "9000.50", 900050, 60, "9000.50"),
        ("usd", "35.50", 3550, 45, "26.63"),
    ],
)
def test_prices_round_trip_in_the_sites_currency(
    database_url: str,
    tmp_path: Path,
    currency: str,
    price: str,
    hourly: int,
    session: int,
    exported: str,
) -> None:
    with app_in_context(database_url, currency=currency) as app:
        make_subject()
        path = write_csv(tmp_path / "tutors.csv", [row(1, price=price)])
        result = run(app, "import", "tutors", str(path), "--json")
        assert result.exit_code == 0, result.output
        tutor = db.session.get(TutorProfile, json.loads(result.stdout)["ext-1"])
        assert tutor is not None and tutor.price_cents == hourly

        start = dt.datetime(2026, 6, 1, 13, 30, tzinfo=dt.UTC)
        booking = make_booking(tutor, make_user(), start, minutes=session, currency=currency)
        out = tmp_path / "bookings.csv"
        result = run(app, "export", "bookings", "--output", str(out))
        assert result.exit_code == 0, result.output
        (record,) = csv.DictReader(io.StringIO(out.read_text(), newline=""))
        assert (record["price"], record["currency"]) == (exported, currency)
        assert parse_price(record["price"], currency=record["currency"]) == booking.price_cents


@pytest.mark.parametrize(
    ("currency", "price", "reason"),
    [
        ("jpy", "35.5", "price: JPY prices have no decimals"),
        ("kwd", "12.345", "price: prices in KWD go in steps of 0.010"),
        ("usd", "12.345", "price: USD prices have at most 2 decimals"),
    ],
)
def test_an_import_refuses_prices_the_currency_cannot_hold(
    database_url: str, tmp_path: Path, currency: str, price: str, reason: str
) -> None:
    with app_in_context(database_url, currency=currency) as app:
        rows = [row(1, price="20"), row(2, price=price)]
        result = run(app, "import", "tutors", str(write_csv(tmp_path / "t.csv", rows)))
        assert result.exit_code == 1
        assert f"line 3: {reason}" in result.stderr
        assert count(TutorProfile) == 0


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_with_no_bookings(app: Flask, fmt: str) -> None:
    result = run(app, "export", "bookings", "--format", fmt)
    assert result.exit_code == 0, result.output
    if fmt == "json":
        assert json.loads(result.stdout) == []
    else:
        assert result.stdout.splitlines() == [
            ",".join(
                "id uid tutor_external_id tutor_name learner_email subject start_utc end_utc state "
                "price currency".split()
            )
        ]
