"""Tutors' ratings: the average and count of their learners' reviews."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lti_tool.models import Review


def rating_summary() -> sa.Subquery:
    """A subquery of ``tutor_id``, ``rating`` (average) and ``reviews`` (count) to join on."""
    return (
        sa.select(
            Review.tutor_id,
            sa.func.avg(Review.rating).label("rating"),
            sa.func.count().label("reviews"),
        )
        .group_by(Review.tutor_id)
        .subquery()
    )


def tutor_ratings(
    session: Session, tutor_ids: Iterable[int] | None = None
) -> dict[int, tuple[float, int]]:
    """(average rating, review count) by tutor id; tutors without reviews are left out."""
    summary = rating_summary()
    query = sa.select(summary.c.tutor_id, summary.c.rating, summary.c.reviews)
    if tutor_ids is not None:
        query = query.where(summary.c.tutor_id.in_(list(tutor_ids)))
    return {
        tutor_id: (float(rating), int(count)) for tutor_id, rating, count in session.execute(query)
    }
