"""``/dashboard``: a learner's sessions and receipts, and a tutor's schedule and earnings."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint
from flask import render_template

from lti_tool.api import Booking
from lti_tool.api import BookingState
from lti_tool.api import Payment
from lti_tool.api import TutorProfile
from lti_tool.api import User
from lti_tool.api import current_time
from lti_tool.api import current_user
from lti_tool.api import db
from lti_tool.api import require_user
from lti_tool_standalone.onboarding import payout_starter
from lti_tool_standalone.reviews import reviewed_booking_ids

bp = Blueprint("dashboard", __name__)

UPCOMING_STATES = (BookingState.HELD, BookingState.CONFIRMED)
LISTED = 50


@dataclass(frozen=True)
class Earnings:
    sessions: int
    gross_cents: int
    fee_cents: int

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.fee_cents


def earnings(tutor: TutorProfile) -> Earnings:
    """Completed sessions' prices, less the platform's fee recorded with their payments."""
    completed = sa.and_(Booking.tutor_id == tutor.id, Booking.state == BookingState.COMPLETED)
    sessions, gross = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Booking.price_cents), 0)).where(
            completed
        )
    ).one()
    fee = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Payment.platform_fee_cents), 0))
        .join(Booking, Booking.id == Payment.booking_id)
        .where(completed)
    )
    return Earnings(int(sessions), int(gross), int(fee or 0))


def _bookings(condition: sa.ColumnElement[bool], *order: t.Any) -> list[Booking]:
    query = sa.select(Booking).where(condition).order_by(*order).limit(LISTED)
    return list(db.session.scalars(query))


def _payments_by_booking(bookings: list[Booking]) -> dict[int, list[Payment]]:
    ids = [booking.id for booking in bookings]
    found: dict[int, list[Payment]] = {booking_id: [] for booking_id in ids}
    if ids:
        query = sa.select(Payment).where(Payment.booking_id.in_(ids)).order_by(Payment.id)
        for payment in db.session.scalars(query):
            found[payment.booking_id].append(payment)
    return found


def learner_view(user: User) -> dict[str, t.Any]:
    now = current_time()
    mine = Booking.learner_id == user.id
    upcoming = _bookings(
        sa.and_(mine, Booking.end_at > now, Booking.state.in_(UPCOMING_STATES)), Booking.start_at
    )
    past = _bookings(
        sa.and_(
            mine,
            sa.or_(Booking.end_at <= now, Booking.state.not_in(UPCOMING_STATES)),
        ),
        Booking.start_at.desc(),
    )
    receipts = _bookings(
        sa.and_(mine, Booking.price_cents > 0, Booking.state != BookingState.EXPIRED),
        Booking.start_at.desc(),
    )
    return {
        "upcoming": upcoming,
        "past": past,
        "reviewed": reviewed_booking_ids(booking.id for booking in past),
        "receipts": receipts,
        "payments": _payments_by_booking(receipts),
    }


def tutor_view(tutor: TutorProfile) -> dict[str, t.Any]:
    now = current_time()
    schedule = _bookings(
        sa.and_(
            Booking.tutor_id == tutor.id,
            Booking.end_at > now,
            Booking.state.in_(UPCOMING_STATES),
        ),
        Booking.start_at,
    )
    return {
        "schedule": schedule,
        "earnings": earnings(tutor),
        "payouts_available": payout_starter() is not None,
    }


@bp.get("/dashboard")
@require_user
def dashboard() -> str:
    """Everything the signed-in person has booked, teaches and earned."""
    user = current_user()
    assert user is not None
    tutor = user.tutor_profile
    return render_template(
        "standalone/dashboard.html",
        user=user,
        states=BookingState,
        tutor=tutor,
        **learner_view(user),
        **(tutor_view(tutor) if tutor is not None else {}),
    )
