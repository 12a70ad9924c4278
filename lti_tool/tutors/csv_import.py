"""Bulk tutor import from CSV.

An import is all or nothing: every row is checked (with the same rules as the settings API)
and compared with the database before anything is written, and the writes then run as one
transaction of set-based statements, so tens of thousands of rows take seconds.
"""

from __future__ import annotations

import csv
import re
import typing as t
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from decimal import InvalidOperation

import sqlalchemy as sa

from lti_tool.database import write_transaction
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.tutors.fields import BOUNDS
from lti_tool.tutors.fields import TutorSettingsError
from lti_tool.tutors.fields import parse_subjects
from lti_tool.tutors.fields import slugify
from lti_tool.tutors.import_writer import ProfileIndex
from lti_tool.tutors.import_writer import UserIndex
from lti_tool.tutors.import_writer import chunks
from lti_tool.tutors.import_writer import write_tutors
from lti_tool.tutors.settings import validate_settings

COLUMNS = tuple(
    "external_id,name,email,timezone,subjects,languages,price,availability,"
    "min_notice_hours,horizon_days,interval_min,durations".split(",")
)
#: The CSV column to blame for a problem found in a setting.
_COLUMN_OF = {
    "rules": "availability",
    "price_cents": "price",
    "session_lengths": "durations",
    "min_notice_min": "min_notice_hours",
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class ImportRejected(Exception):
    """The file was refused; ``problems`` lists (CSV line, reason) for every bad line."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = sorted(problems)
        super().__init__(self.report())

    def report(self) -> str:
        lines = [f"line {line}: {reason}" for line, reason in self.problems]
        count = len({line for line, _ in self.problems})
        header = f"{count} bad line{'s' if count != 1 else ''}; nothing was imported."
        return "\n".join([header, *lines])


@dataclass
class TutorRow:
    """One checked CSV row."""

    line: int
    external_id: str
    name: str
    email: str
    settings: dict[str, t.Any]
    subjects: list[tuple[str, str]]
    subject_ids: list[tuple[int, str]] = field(default_factory=list)


def read_rows(stream: t.TextIO) -> Iterator[tuple[int, list[str]]]:
    """(first line of the record, cells) for every non-blank record after the header."""
    reader = csv.reader(stream)
    previous = 0
    for cells in reader:
        line, previous = previous + 1, reader.line_num
        if cells and any(cell.strip() for cell in cells):
            yield line, cells


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _whole(cell: str, column: str) -> int:
    if not re.fullmatch(r"\d+", cell):
        raise TutorSettingsError(column, f"expected a whole number, got {cell!r}")
    return int(cell)


def _notice_minutes(cell: str) -> int:
    low, high = (bound // 60 for bound in BOUNDS["min_notice_min"])
    try:
        hours = Decimal(cell)
    except InvalidOperation:
        hours = Decimal("NaN")
    if not hours.is_finite() or not low <= hours <= high or (hours * 60) % 1:
        raise TutorSettingsError(
            "min_notice_hours", f"expected {low} to {high} hours in whole minutes, got {cell!r}"
        )
    return int(hours * 60)


def check_row(line: int, cells: list[str], *, currency: str) -> TutorRow:
    """The row as settings, or :class:`TutorSettingsError` naming the first bad column. The
    price is in units of *currency*, the site's."""
    if len(cells) != len(COLUMNS):
        raise TutorSettingsError("row", f"expected {len(COLUMNS)} cells, got {len(cells)}")
    row = dict(zip(COLUMNS, (cell.strip() for cell in cells), strict=True))
    for column, limit in (("external_id", 120), ("name", 200), ("email", 320)):
        if not row[column] or len(row[column]) > limit:
            raise TutorSettingsError(column, f"required, at most {limit} characters")
    email = row["email"].lower()
    if not _EMAIL.fullmatch(email):
        raise TutorSettingsError("email", f"{row['email']!r} is not an e-mail address")
    raw: dict[str, t.Any] = {
        "timezone": row["timezone"],
        "languages": _split(row["languages"]),
        "availability": row["availability"],
    }
    if row["price"]:
        raw["price"] = row["price"]
    if row["min_notice_hours"]:
        raw["min_notice_min"] = _notice_minutes(row["min_notice_hours"])
    for column in ("horizon_days", "interval_min"):
        if row[column]:
            raw[column] = _whole(row[column], column)
    if row["durations"]:
        raw["session_lengths"] = [_whole(part, "durations") for part in _split(row["durations"])]
    try:
        settings = validate_settings(raw, currency=currency)
        subjects = parse_subjects(_split(row["subjects"]))
    except TutorSettingsError as exc:
        column = exc.field.split("[")[0].split(".")[0]
        raise TutorSettingsError(_COLUMN_OF.get(column, column), exc.message) from None
    for key, _ in subjects:
        if not slugify(key):
            raise TutorSettingsError("subjects", f"{key!r} needs letters or digits")
    return TutorRow(line, row["external_id"], row["name"], email, settings, subjects)


def check_file(stream: t.TextIO, *, currency: str) -> tuple[list[TutorRow], list[tuple[int, str]]]:
    """Every row checked on its own and against the others: the good rows, and (line, reason)
    for the bad ones. A wrong header refuses the file at once."""
    records = iter(read_rows(stream))
    header = next(records, None)
    if header is None or sorted(cell.strip() for cell in header[1]) != sorted(COLUMNS):
        raise ImportRejected([(1, f"the header must name the columns {','.join(COLUMNS)}")])
    order = [cell.strip() for cell in header[1]]
    problems: list[tuple[int, str]] = []
    rows: list[TutorRow] = []
    first_line: dict[tuple[str, str], int] = {}
    for line, cells in records:
        if len(cells) == len(COLUMNS):
            cells = [cells[order.index(column)] for column in COLUMNS]
        try:
            row = check_row(line, cells, currency=currency)
        except TutorSettingsError as exc:
            problems.append((line, str(exc)))
            continue
        for column in ("external_id", "email"):
            key = (column, getattr(row, column))
            if key in first_line:
                problems.append((line, f"{column}: {key[1]!r} is also on line {first_line[key]}"))
            first_line.setdefault(key, line)
        rows.append(row)
    return rows, problems


def _existing(rows: list[TutorRow]) -> tuple[ProfileIndex, UserIndex]:
    """What the database already holds for the file's external ids and e-mail addresses."""
    profiles: ProfileIndex = {}
    users: UserIndex = {}
    for chunk in chunks(rows):
        by_external = db.session.execute(
            sa.select(TutorProfile.external_id, TutorProfile.id, TutorProfile.user_id).where(
                TutorProfile.external_id.in_([row.external_id for row in chunk])
            )
        )
        # IN never matches NULL, so every external id here is a string.
        profiles.update(
            {external: (pid, uid) for external, pid, uid in by_external if external is not None}
        )
        by_email = db.session.execute(
            sa.select(User.email, User.id, TutorProfile.external_id, TutorProfile.id)
            .outerjoin(TutorProfile, TutorProfile.user_id == User.id)
            .where(User.email.in_([row.email for row in chunk]))
        )
        users.update(
            {
                email: (uid, ext, pid is not None)
                for email, uid, ext, pid in by_email
                if email is not None
            }
        )
    return profiles, users


def _resolve_subjects(rows: list[TutorRow]) -> list[Subject]:
    """Fill in each row's subject ids, matching slug or name; unknown subjects are created."""
    known = db.session.scalars(sa.select(Subject)).all()
    by_key = {s.name.lower(): s for s in known} | {s.slug: s for s in known}

    def find(key: str) -> Subject | None:
        return by_key.get(key.lower()) or by_key.get(slugify(key))

    created: list[Subject] = []
    for row in rows:
        for key, _ in row.subjects:
            if find(key) is None:
                slug = slugify(key)
                name = key.replace("-", " ").capitalize() if key == slug else key
                subject = Subject(slug=slug, name=name, description="")
                created.append(subject)
                by_key[slug] = by_key[name.lower()] = subject
    if created:
        db.session.add_all(created)
        db.session.flush()
    for row in rows:
        # "algebra" and "Algebra" on one row are the same subject and one link.
        levels: dict[int, str] = {}
        for key, level in row.subjects:
            levels.setdefault(t.cast(Subject, find(key)).id, level)
        row.subject_ids = list(levels.items())
    return created


def import_tutors(
    stream: t.TextIO, *, currency: str, progress: Callable[[int], None] | None = None
) -> tuple[dict[str, int], int]:
    """Create or update (by ``external_id``) a tutor per row of a CSV file, whose prices are
    in units of *currency* (the site's).

    :returns: ``{external_id: tutor profile id}`` and how many profiles already existed.
    :raises ImportRejected: listing every bad line; nothing is written then.
    """
    rows, problems = check_file(stream, currency=currency)
    # Reading what exists inside the write transaction means no other writer can change it
    # between the comparison and the writes (SQLite holds its write lock from the start).
    with write_transaction(db.session()):
        profiles, users = _existing(rows)
        for row in rows:
            owner = users.get(row.email)
            known = profiles.get(row.external_id)
            if owner is None:
                continue
            if known is not None and owner[0] != known[1]:
                problems.append((row.line, f"email: {row.email} belongs to another person"))
            elif known is None and owner[2]:
                other = f"tutor {owner[1]!r}" if owner[1] else "a tutor without an external_id"
                problems.append((row.line, f"email: {row.email} already belongs to {other}"))
        if problems:
            raise ImportRejected(problems)
        _resolve_subjects(rows)
        ids = write_tutors(rows, profiles, users, progress)
    return ids, sum(row.external_id in profiles for row in rows)
