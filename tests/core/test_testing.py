"""``lti_tool.testing.make_booking``: a test's booking keeps the time and has the price a booking
made by the service would, so tests cannot drift from the service's rules again."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import db
from lti_tool.testing import make_booking
from tests.tutors import make_tutor
from tests.tutors import make_user

START = dt.datetime(2030, 1, 7, 10, tzinfo=dt.UTC)


def test_the_booking_keeps_the_tutors_buffers_and_costs_its_length(app: Flask) -> None:
    tutor = make_tutor(buffer_before_min=5, buffer_after_min=15, price_cents=4000)

    booking = make_booking(tutor, make_user(), START, minutes=45)

    assert booking.id is not None
    assert (booking.start_at, booking.end_at) == (START, START + dt.timedelta(minutes=45))
    assert (booking.block_start, booking.block_end) == (
        START - dt.timedelta(minutes=5),
        START + dt.timedelta(minutes=60),
    )
    assert (booking.price_cents, booking.currency) == (3000, "usd")
    assert booking.state == BookingState.CONFIRMED
    assert booking.subject == tutor.subjects[0].subject


def test_a_booking_inside_anothers_buffer_is_refused_by_the_database(app: Flask) -> None:
    tutor = make_tutor(buffer_after_min=10)
    learner = make_user()
    first = make_booking(tutor, learner, START)
    db.session.commit()

    with pytest.raises(sa.exc.IntegrityError):
        make_booking(tutor, learner, first.end_at + dt.timedelta(minutes=5))
    db.session.rollback()

    make_booking(tutor, learner, first.block_end)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 2


def test_what_a_test_sets_itself(app: Flask) -> None:
    tutor = make_tutor(price_cents=4000)
    expires = START - dt.timedelta(minutes=10)

    held = make_booking(
        tutor,
        make_user(),
        START,
        minutes=30,
        state=BookingState.HELD,
        currency="jpy",
        hold_expires_at=expires,
    )
    free = make_booking(tutor, make_user(), START + dt.timedelta(days=1), price_cents=0)

    assert (held.state, held.hold_expires_at) == (BookingState.HELD, expires)
    assert (held.price_cents, held.currency) == (tutor.price_for(30, "jpy"), "jpy")
    assert free.price_cents == 0
