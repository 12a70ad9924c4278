"""Ratings: a learner rates a completed session once, and tutor pages show the result.

"Once" is the database's rule (``reviews.booking_id`` is unique); the state and ownership
checks here only give a friendlier answer before it is reached.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.wrappers import Response

from lti_tool.api import Booking
from lti_tool.api import BookingState
from lti_tool.api import Review
from lti_tool.api import TutorProfile
from lti_tool.api import User
from lti_tool.api import current_user
from lti_tool.api import db
from lti_tool.api import require_user
from lti_tool.api import tutor_ratings

bp = Blueprint("reviews", __name__)

MAX_COMMENT = 2000
SHOWN_REVIEWS = 10


@dataclass(frozen=True)
class ShownReview:
    rating: int
    comment: str
    author: str
    at: dt.datetime


@dataclass(frozen=True)
class RatingSummary:
    average: float | None
    count: int
    recent: list[ShownReview]


def tutor_reviews(tutor: TutorProfile) -> RatingSummary:
    """Average, count and the latest reviews of *tutor*, for the profile page."""
    average, count = tutor_ratings(db.session(), [tutor.id]).get(tutor.id, (None, 0))
    rows = db.session.execute(
        sa.select(Review.rating, Review.comment, Review.created_at, User.name)
        .join(Booking, Booking.id == Review.booking_id)
        .join(User, User.id == Booking.learner_id)
        .where(Review.tutor_id == tutor.id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(SHOWN_REVIEWS)
    )
    recent = [
        # Only the first name: a review is public, its author's full name need not be.
        ShownReview(rating, comment, (name or "A learner").split()[0], at)
        for rating, comment, at, name in rows
    ]
    return RatingSummary(float(average) if average is not None else None, int(count), recent)


def _reviewable(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    user = current_user()
    if booking is None or user is None or booking.learner_id != user.id:
        abort(404, description="No such session of yours.")
    if booking.state != BookingState.COMPLETED:
        abort(409, description="Only a completed session can be rated.")
    return booking


def _already_reviewed(booking: Booking) -> bool:
    found = db.session.scalar(sa.select(Review.id).where(Review.booking_id == booking.id))
    return found is not None


@bp.route("/bookings/<int:booking_id>/review", methods=["GET", "POST"])
@require_user
def review(booking_id: int) -> Response | str | tuple[str, int]:
    """Rate a completed session from 1 to 5 with an optional comment, once."""
    booking = _reviewable(booking_id)
    if _already_reviewed(booking):
        abort(409, description="You have already rated this session.")
    form: dict[str, t.Any] = {"rating": request.form.get("rating", ""), "comment": ""}
    if request.method == "GET":
        return render_template("standalone/review.html", booking=booking, form=form, error="")
    form["comment"] = request.form.get("comment", "").strip()
    rating = request.form.get("rating", type=int)
    error = ""
    if rating is None or not 1 <= rating <= 5:
        error = "Choose a rating from 1 to 5 stars."
    elif len(form["comment"]) > MAX_COMMENT:
        error = f"Keep the comment under {MAX_COMMENT} characters."
    if error:
        page = render_template("standalone/review.html", booking=booking, form=form, error=error)
        return page, 400
    db.session.add(
        Review(
            booking_id=booking.id, tutor_id=booking.tutor_id, rating=rating, comment=form["comment"]
        )
    )
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # A second submission that raced past the check above.
        db.session.rollback()
        abort(409, description="You have already rated this session.")
    flash("Thank you for your rating.", "success")
    return redirect(url_for("pages.tutor_page", tutor_id=booking.tutor_id))


def reviewed_booking_ids(booking_ids: t.Iterable[int]) -> set[int]:
    ids = list(booking_ids)
    if not ids:
        return set()
    query = sa.select(Review.booking_id).where(Review.booking_id.in_(ids))
    return set(db.session.scalars(query))
