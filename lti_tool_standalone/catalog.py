"""``/catalog``: every tutor, filtered by subject, price, language and "free this week".

Matching tutors are found with one light query (ids, languages, ratings), best rated first.
Free times are worked out for the page being shown, or for every match when the "free this
week" filter asks for it, always in batches (see :mod:`lti_tool.scheduling.first_free`).
"""

from __future__ import annotations

import math
import typing as t
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint
from flask import render_template
from flask import request
from werkzeug.datastructures import MultiDict

from lti_tool.api import Subject
from lti_tool.api import TutorProfile
from lti_tool.api import TutorSettingsError
from lti_tool.api import TutorSubject
from lti_tool.api import current_time
from lti_tool.api import db
from lti_tool.api import first_free
from lti_tool.api import first_free_slots
from lti_tool.api import load_tutors
from lti_tool.api import money
from lti_tool.api import parse_price
from lti_tool.api import rating_summary
from lti_tool.api import timezones
from lti_tool.api import viewer_zone

bp = Blueprint("catalog", __name__)

PAGE_SIZE = 12
FREE_DAYS = 7
#: How far ahead a card looks for the next free time.
SHOWN_DAYS = 21


@dataclass
class Filters:
    subject: str = ""
    max_price: str = ""
    language: str = ""
    free_week: bool = False
    page: int = 1

    def query(self, **changes: t.Any) -> dict[str, t.Any]:
        """The filters as URL parameters, without the empty ones."""
        values = {
            "subject": self.subject,
            "max_price": self.max_price,
            "language": self.language,
            "free_week": "1" if self.free_week else "",
            "page": self.page if self.page > 1 else "",
        } | changes
        return {key: value for key, value in values.items() if value not in ("", None)}


class Match(t.NamedTuple):
    id: int
    languages: list[str]
    rating: float | None
    reviews: int


def parse_filters(args: MultiDict[str, str]) -> tuple[Filters, dict[str, str]]:
    errors: dict[str, str] = {}
    filters = Filters(
        subject=args.get("subject", "").strip(),
        max_price=args.get("max_price", "").strip(),
        language=args.get("language", "").strip().lower(),
        free_week=args.get("free_week", "") in {"1", "on", "yes"},
        page=max(args.get("page", 1, type=int) or 1, 1),
    )
    if filters.max_price:
        try:
            parse_price(filters.max_price, currency=money.site_currency())
        except TutorSettingsError as exc:
            errors["max_price"] = (
                f"Enter a price in {money.site_currency().upper()}: {exc.message}."
            )
    return filters, errors


def _matches(filters: Filters, max_price_cents: int | None) -> list[Match]:
    ratings = rating_summary()
    query = (
        sa.select(TutorProfile.id, TutorProfile.languages, ratings.c.rating, ratings.c.reviews)
        .outerjoin(ratings, ratings.c.tutor_id == TutorProfile.id)
        .where(TutorProfile.is_active.is_(True))
        .order_by(
            sa.func.coalesce(ratings.c.rating, 0).desc(),
            sa.func.coalesce(ratings.c.reviews, 0).desc(),
            TutorProfile.id,
        )
    )
    if filters.subject:
        teaching = (
            sa.select(TutorSubject.tutor_id)
            .join(Subject, Subject.id == TutorSubject.subject_id)
            .where(Subject.slug == filters.subject)
        )
        query = query.where(TutorProfile.id.in_(teaching))
    if max_price_cents is not None:
        query = query.where(TutorProfile.price_cents <= max_price_cents)
    return [
        Match(row.id, list(row.languages or []), row.rating, row.reviews or 0)
        for row in db.session.execute(query)
    ]


def initials(name: str) -> str:
    letters = [word[0] for word in name.split() if word[:1].isalpha()]
    return "".join(letters[:1] + letters[1:][-1:]).upper() or "?"


def _zone() -> str:
    asked = request.args.get("tz", "")
    return asked if asked in timezones() else viewer_zone()


@bp.get("/catalog")
def catalog() -> tuple[str, int]:
    """Tutor cards with their next free time in the viewer's zone."""
    filters, errors = parse_filters(request.args)
    price_cents = (
        None
        if errors or not filters.max_price
        else parse_price(filters.max_price, currency=money.site_currency())
    )
    matches = _matches(filters, price_cents)
    languages = sorted({code for match in matches for code in match.languages})
    if filters.language:
        matches = [match for match in matches if filters.language in match.languages]
    now = current_time()
    session = db.session()
    free: dict[int, t.Any] | None = None
    if filters.free_week:
        free = first_free_slots(session, [match.id for match in matches], now, FREE_DAYS)
        matches = [match for match in matches if match.id in free]
    pages = max(math.ceil(len(matches) / PAGE_SIZE), 1)
    filters.page = min(filters.page, pages)
    shown = matches[(filters.page - 1) * PAGE_SIZE : filters.page * PAGE_SIZE]
    tutors = load_tutors(session, [match.id for match in shown])
    if free is None:
        free = first_free(session, tutors, now, SHOWN_DAYS)
    ratings = {match.id: match for match in shown}
    subjects = db.session.scalars(sa.select(Subject).order_by(Subject.name)).all()
    page = render_template(
        "standalone/catalog.html",
        tutors=tutors,
        ratings=ratings,
        next_free=free,
        filters=filters,
        errors=errors,
        subjects=subjects,
        languages=languages,
        total=len(matches),
        pages=pages,
        zone=_zone(),
        initials=initials,
        shown_days=SHOWN_DAYS,
    )
    return page, 400 if errors else 200
