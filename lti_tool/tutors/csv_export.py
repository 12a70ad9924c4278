"""Every booking written out as CSV or JSON, for other systems.

Times are UTC and amounts are formatted in each booking's own currency; CSV cells that a
spreadsheet would run as formulas are made plain text.
"""

from __future__ import annotations

import csv
import json
import typing as t
from collections.abc import Iterator
from decimal import Decimal
from decimal import InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from lti_tool import money
from lti_tool.models import Booking
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db

EXPORT_COLUMNS = tuple(
    "id,uid,tutor_external_id,tutor_name,learner_email,subject,start_utc,end_utc,state,price,"
    "currency".split(",")
)


def _booking_rows() -> Iterator[dict[str, t.Any]]:
    tutor_user = aliased(User)
    learner = aliased(User)
    query = (
        sa.select(
            Booking.id,
            Booking.uid,
            TutorProfile.external_id,
            tutor_user.name,
            learner.email,
            Subject.slug,
            Booking.start_at,
            Booking.end_at,
            Booking.state,
            Booking.price_cents,
            Booking.currency,
        )
        .join(TutorProfile, Booking.tutor_id == TutorProfile.id)
        .join(tutor_user, TutorProfile.user_id == tutor_user.id)
        .join(learner, Booking.learner_id == learner.id)
        .join(Subject, Booking.subject_id == Subject.id)
        .order_by(Booking.id)
        .execution_options(yield_per=1000)
    )
    for record in db.session.execute(query):
        values = list(record)
        for index in (6, 7):
            values[index] = values[index].isoformat().replace("+00:00", "Z")
        values[8] = values[8].value
        values[9] = money.format_amount(values[9], values[10])
        yield dict(zip(EXPORT_COLUMNS, values, strict=True))


#: A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: t.Any) -> t.Any:
    """*value*, with text that a spreadsheet would run as a formula (a tutor named
    ``=HYPERLINK(...)``) turned into plain text by a leading apostrophe. Numbers stay numbers."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        Decimal(value)
    except InvalidOperation:
        return "'" + value
    return value


def export_bookings(stream: t.TextIO, fmt: str = "csv") -> int:
    """Write every booking to *stream* as CSV or a JSON array; returns how many.

    CSV cells are made :func:`spreadsheet_safe`; JSON keeps every value as it is."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for record in _booking_rows():
            writer.writerow({key: spreadsheet_safe(value) for key, value in record.items()})
            count += 1
        return count
    stream.write("[")
    for count, record in enumerate(_booking_rows(), start=1):
        stream.write(("," if count > 1 else "") + "\n  " + json.dumps(record))
    stream.write("\n]\n" if count else "]\n")
    return count
