from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool import demo
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from tests.booking import sign_in
from tests.web import tokyo_booking


def test_booking_page_shows_both_zones(client: FlaskClient, app: Flask) -> None:
    booking = tokyo_booking()
    sign_in(client, booking.learner)
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert "Mon 7 Jan 2030, 19:00 EST" in page
    assert "Tue 8 Jan 2030, 09:00 JST" in page
    assert "2030-01-08T00:00:00Z" in page

    sign_in(client, booking.tutor.user)
    booking.tutor.user.timezone = "Asia/Tokyo"
    db.session.commit()
    sessions = client.get("/sessions").get_data(as_text=True)
    assert "Tue 8 Jan 2030, 09:00 JST" in sessions
    assert f'data-booking-id="{booking.id}"' in sessions


def test_strangers_cannot_see_a_booking(client: FlaskClient, app: Flask) -> None:
    booking = tokyo_booking()
    stranger = db.session.scalars(sa.select(User).where(User.email.like("learner2@%"))).one()
    sign_in(client, stranger)
    assert client.get(f"/bookings/{booking.id}").status_code == 404
    assert client.get(f"/rooms/{booking.id}").status_code == 404


def test_anonymous_visitors_must_sign_in(client: FlaskClient, app: Flask) -> None:
    booking = tokyo_booking()
    assert client.get(f"/bookings/{booking.id}").status_code == 401
    assert client.get("/sessions").status_code == 401


def test_room_page_without_video_plugin_says_so(client: FlaskClient, app: Flask) -> None:
    booking = tokyo_booking()
    sign_in(client, booking.learner)
    page = client.get(f"/rooms/{booking.id}").get_data(as_text=True)
    assert "No video room is installed" in page or 'id="room"' in page


def test_tutor_page_carries_the_picker(client: FlaskClient, app: Flask) -> None:
    demo.seed()
    tutor = db.session.scalars(sa.select(TutorProfile)).first()
    assert tutor is not None
    page = client.get(f"/tutors/{tutor.id}").get_data(as_text=True)
    assert f'data-tutor-zone="{tutor.timezone}"' in page
    assert "picker.js" in page
    script = client.get("/static/core/picker.js")
    assert script.status_code == 200
    assert b"/api/v1/tutors/" in script.data
    script.close()
    assert client.get("/tutors/999999").status_code == 404


def test_saving_a_timezone_checks_it(client: FlaskClient, app: Flask) -> None:
    demo.seed()
    learner = db.session.scalars(sa.select(User).where(User.email.like("learner3@%"))).one()
    before = learner.timezone
    sign_in(client, learner)
    bad = client.post("/api/v1/me/timezone", json={"timezone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert bad.json is not None and "Mars/Olympus" in bad.json["detail"]
    db.session.expire_all()
    assert db.session.get(User, learner.id).timezone == before  # type: ignore[union-attr]
    good = client.post("/api/v1/me/timezone", json={"timezone": "Asia/Kathmandu"})
    assert good.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, learner.id).timezone == "Asia/Kathmandu"  # type: ignore[union-attr]


def test_demo_sign_in_exists_only_in_development(client: FlaskClient, app: Flask) -> None:
    demo.seed()
    learner = db.session.scalars(sa.select(User).where(User.email.like("learner4@%"))).one()
    form = client.get("/dev/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/dev/sign-in",
        data={"user_id": learner.id, "next": "//evil.example", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/sessions"
    assert client.get("/sessions").status_code == 200
    app.config["MODE"] = "production"
    assert client.get("/dev/sign-in").status_code == 404
