"""A learner rates a completed session once; the tutor's page shows the ratings."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Review
from lti_tool.models import User
from lti_tool.models import db
from tests.standalone.factories import act_as
from tests.standalone.factories import person
from tests.standalone.factories import session
from tests.standalone.factories import tutor
from tests.standalone.journey import csrf_token

START = dt.datetime(2029, 12, 3, 9, tzinfo=dt.UTC)


@pytest.fixture
def completed(app: Flask) -> Booking:
    kenji = tutor(
        "Kenji Tanaka", "Asia/Tokyo", languages=["en"], price_cents=4000, subjects=["algebra"]
    )
    booking = session(kenji, person("Nia Learner", "America/New_York"), START)
    db.session.commit()
    return booking


def rate(client: FlaskClient, booking: Booking, rating: object, comment: str = "") -> int:
    path = f"/bookings/{booking.id}/review"
    token = csrf_token(client, "/login")
    data = {"csrf_token": token, "rating": rating, "comment": comment}
    return client.post(path, data=data).status_code


def test_a_completed_session_is_rated_once(client: FlaskClient, completed: Booking) -> None:
    act_as(client, completed.learner)
    form = client.get(f"/bookings/{completed.id}/review")
    assert form.status_code == 200
    assert "Rate your session" in form.get_data(as_text=True)
    assert rate(client, completed, 6) == 400
    assert rate(client, completed, 5, "Patient and clear.") == 302
    assert rate(client, completed, 1, "Changed my mind.") == 409
    assert client.get(f"/bookings/{completed.id}/review").status_code == 409
    reviews = db.session.scalars(sa.select(Review)).all()
    assert [(r.rating, r.comment, r.tutor_id) for r in reviews] == [
        (5, "Patient and clear.", completed.tutor_id)
    ]

    page = client.get(f"/tutors/{completed.tutor_id}").get_data(as_text=True)
    assert "5.0 out of 5 from 1 review" in page
    assert "Patient and clear." in page
    assert re.search(r"5 out of 5</strong> · Nia,", page)
    assert "Learner" not in page.split('data-testid="tutor-reviews"')[1]


def test_the_database_refuses_a_second_review(app: Flask, completed: Booking) -> None:
    db.session.add(Review(booking_id=completed.id, tutor_id=completed.tutor_id, rating=4))
    db.session.commit()
    db.session.add(Review(booking_id=completed.id, tutor_id=completed.tutor_id, rating=2))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(
    "state", [BookingState.CONFIRMED, BookingState.CANCELLED, BookingState.NO_SHOW]
)
def test_only_completed_sessions_can_be_rated(
    client: FlaskClient, completed: Booking, state: BookingState
) -> None:
    completed.state = state
    db.session.commit()
    act_as(client, completed.learner)
    assert rate(client, completed, 4) == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 0


def test_only_the_learner_rates(client: FlaskClient, completed: Booking) -> None:
    assert client.get(f"/bookings/{completed.id}/review").status_code == 401
    stranger = person("Sam Stranger")
    db.session.commit()
    act_as(client, stranger)
    assert rate(client, completed, 5) == 404
    tutor_user = db.session.get(User, completed.tutor.user_id)
    assert tutor_user is not None
    act_as(client, tutor_user)
    assert rate(client, completed, 5) == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 0


def test_a_tutor_without_reviews_says_so(client: FlaskClient, completed: Booking) -> None:
    page = client.get(f"/tutors/{completed.tutor_id}").get_data(as_text=True)
    assert "No reviews yet." in page
