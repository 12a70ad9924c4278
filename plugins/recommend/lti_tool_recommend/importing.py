"""Learner-tutor history from another platform: ``learner_external_id,tutor_external_id,
weight,timestamp``.

All or nothing: every line is checked, tutors and learners are looked up, and only a file
without a single bad line is written, in one transaction. Learners are matched by external id
and created when missing. A line already imported (same learner, tutor and time) is skipped,
so a file can be imported again after it was extended.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import typing as t
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lti_tool.api import RoleName
from lti_tool.api import TutorProfile
from lti_tool.api import User
from lti_tool.api import UserRole
from lti_tool.api import write_transaction
from lti_tool_recommend.models import Interaction

COLUMNS = ("learner_external_id", "tutor_external_id", "weight", "timestamp")
MAX_WEIGHT = 100.0
SOURCE = "import"
CHUNK = 500
_EPOCH = re.compile(r"\d{1,12}(\.\d+)?")


class ImportRejected(Exception):
    """The file was refused; ``problems`` holds (line, reason) for every bad line."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = sorted(problems)
        super().__init__(self.report())

    def report(self) -> str:
        count = len({line for line, _ in self.problems})
        header = f"{count} bad line{'s' if count != 1 else ''}; nothing was imported."
        return "\n".join([header, *(f"line {line}: {why}" for line, why in self.problems)])


@dataclass(frozen=True)
class Row:
    line: int
    learner: str
    tutor: str
    weight: float
    at: dt.datetime


@dataclass(frozen=True)
class ImportResult:
    written: int
    skipped: int
    """Lines already imported earlier, or repeated within the file."""
    learners_created: int


def _records(stream: t.TextIO) -> Iterator[tuple[int, list[str]]]:
    """(first line of the record, cells) for every non-blank record, header included."""
    reader = csv.reader(stream)
    previous = 0
    for cells in reader:
        line, previous = previous + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield line, cells


def parse_timestamp(text: str, now: dt.datetime) -> dt.datetime:
    """ISO 8601 with a UTC offset, or Unix seconds; a time more than a day ahead is refused."""
    if _EPOCH.fullmatch(text):
        moment = dt.datetime.fromtimestamp(float(text), dt.UTC)
    else:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"timestamp {text!r} is not ISO 8601 or Unix seconds") from None
        if moment.tzinfo is None:
            raise ValueError(f"timestamp {text!r} needs a UTC offset, e.g. {text}Z")
        moment = moment.astimezone(dt.UTC)
    if moment > now + dt.timedelta(days=1):
        raise ValueError(f"timestamp {text!r} is in the future")
    return moment


def parse_weight(text: str) -> float:
    try:
        weight = float(text)
    except ValueError:
        weight = math.nan
    if not math.isfinite(weight) or not 0 < weight <= MAX_WEIGHT:
        raise ValueError(f"weight {text!r} is not a number above 0 and at most {MAX_WEIGHT:g}")
    return weight


def check_line(line: int, cells: list[str], now: dt.datetime) -> Row:
    """:raises ValueError: naming what is wrong with the line."""
    if len(cells) != len(COLUMNS):
        raise ValueError(f"expected {len(COLUMNS)} cells, got {len(cells)}")
    learner, tutor, weight, stamp = (cell.strip() for cell in cells)
    for name, value in (("learner_external_id", learner), ("tutor_external_id", tutor)):
        if not value or len(value) > 120:
            raise ValueError(f"{name} is required, at most 120 characters")
    return Row(line, learner, tutor, parse_weight(weight), parse_timestamp(stamp, now))


def read_file(stream: t.TextIO, now: dt.datetime) -> tuple[list[Row], list[tuple[int, str]]]:
    """Every line checked on its own: the good rows, and (line, reason) for each bad one.

    :raises ImportRejected: the header is not the expected one.
    """
    rows: list[Row] = []
    problems: list[tuple[int, str]] = []
    records = _records(stream)
    header = next(records, None)
    if header is None or [cell.strip().lower() for cell in header[1]] != list(COLUMNS):
        raise ImportRejected([(header[0] if header else 1, f"header must be {','.join(COLUMNS)}")])
    for line, cells in records:
        try:
            rows.append(check_line(line, cells, now))
        except ValueError as exc:
            problems.append((line, str(exc)))
    return rows, problems


def _chunked(values: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _lookup(session: Session, column: t.Any, key: t.Any, values: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunked(values):
        found.update(
            (k, v) for k, v in session.execute(sa.select(column, key).where(column.in_(chunk)))
        )
    return found


def import_interactions(session: Session, stream: t.TextIO, now: dt.datetime) -> ImportResult:
    """Check the whole file, then write it in one transaction.

    :raises ImportRejected: a line is malformed or names a tutor that does not exist.
    """
    rows, problems = read_file(stream, now)
    tutors = _lookup(session, TutorProfile.external_id, TutorProfile.id, (r.tutor for r in rows))
    problems += [
        (r.line, f"unknown tutor_external_id {r.tutor!r}") for r in rows if r.tutor not in tutors
    ]
    if problems:
        raise ImportRejected(problems)
    with write_transaction(session):
        learners = _lookup(session, User.external_id, User.id, (r.learner for r in rows))
        missing = sorted({r.learner for r in rows} - set(learners))
        for chunk in _chunked(missing):
            created = session.execute(
                sa.insert(User).returning(User.id, User.external_id, sort_by_parameter_order=True),
                [{"external_id": external} for external in chunk],
            )
            ids = {str(external): uid for uid, external in created}
            learners.update(ids)
            session.execute(
                sa.insert(UserRole),
                [{"user_id": uid, "role": RoleName.LEARNER} for uid in ids.values()],
            )
        seen = _already_imported(session, list(learners.values()))
        fresh = []
        for row in rows:
            key = (learners[row.learner], tutors[row.tutor], row.at)
            if key not in seen:
                seen.add(key)
                fresh.append(
                    {
                        "user_id": key[0],
                        "tutor_id": key[1],
                        "weight": row.weight,
                        "occurred_at": row.at,
                        "source": SOURCE,
                    }
                )
        for start in range(0, len(fresh), CHUNK):
            session.execute(sa.insert(Interaction), fresh[start : start + CHUNK])
    return ImportResult(len(fresh), len(rows) - len(fresh), len(missing))


def _already_imported(session: Session, user_ids: list[int]) -> set[tuple[int, int, dt.datetime]]:
    seen: set[tuple[int, int, dt.datetime]] = set()
    for start in range(0, len(user_ids), CHUNK):
        query = sa.select(Interaction.user_id, Interaction.tutor_id, Interaction.occurred_at).where(
            Interaction.source == SOURCE, Interaction.user_id.in_(user_ids[start : start + CHUNK])
        )
        seen.update((u, tid, at) for u, tid, at in session.execute(query))
    return seen
