"""Ranks tutors by completed sessions and ratings when no recommender is installed."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

from lti_tool import hookimpl
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.ratings import rating_summary
from lti_tool.ratings import tutor_ratings


def popular_tutors(
    subject: Subject | None, limit: int, filters: dict[str, t.Any]
) -> list[TutorProfile]:
    completed = (
        sa.select(Booking.tutor_id, sa.func.count().label("sessions"))
        .where(Booking.state == BookingState.COMPLETED)
        .group_by(Booking.tutor_id)
        .subquery()
    )
    ratings = rating_summary()
    # A damped mean keeps one five-star review from outranking a long good record.
    score = sa.func.coalesce(completed.c.sessions, 0) + 2 * (
        (sa.func.coalesce(ratings.c.rating, 0) * sa.func.coalesce(ratings.c.reviews, 0) + 3.5 * 5)
        / (sa.func.coalesce(ratings.c.reviews, 0) + 5)
    )
    query = (
        sa.select(TutorProfile)
        .outerjoin(completed, completed.c.tutor_id == TutorProfile.id)
        .outerjoin(ratings, ratings.c.tutor_id == TutorProfile.id)
        .where(TutorProfile.is_active.is_(True))
        .order_by(score.desc(), TutorProfile.id)
    )
    if subject is not None:
        query = query.where(
            TutorProfile.id.in_(
                sa.select(TutorSubject.tutor_id).where(TutorSubject.subject_id == subject.id)
            )
        )
    if (max_price := filters.get("max_price_cents")) is not None:
        query = query.where(TutorProfile.price_cents <= int(max_price))
    tutors = list(db.session.scalars(query))
    if language := filters.get("language"):
        tutors = [tutor for tutor in tutors if language in (tutor.languages or [])]
    return tutors[:limit]


@hookimpl(trylast=True)
def recommend_tutors(
    learner: User | None, subject: Subject | None, limit: int, filters: dict[str, t.Any]
) -> list[TutorProfile]:
    return popular_tutors(subject, limit, filters)


@hookimpl(trylast=True)
def explain_recommendations(
    learner: User | None, subject: Subject | None, tutors: list[TutorProfile]
) -> list[str]:
    if not tutors:
        return []
    ratings = tutor_ratings(db.session(), [tutor.id for tutor in tutors])
    reasons = []
    for tutor in tutors:
        taught = [ts.subject.name for ts in tutor.subjects]
        if subject is not None and subject.name in taught:
            taught = [subject.name]
        parts = [f"teaches {', '.join(taught[:2])}"] if taught else []
        if tutor.languages:
            parts.append(f"speaks {', '.join(tutor.languages[:3])}")
        if tutor.id in ratings:
            average, count = ratings[tutor.id]
            parts.append(f"rated {average:.1f}/5 by {count}")
        reasons.append(", ".join(parts))
    return reasons
