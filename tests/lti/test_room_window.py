"""Inside an LMS frame known to refuse the camera or the microphone, the booking page opens the
video room in a window of its own; elsewhere the room opens where the page is."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.lti.protocol.session import SESSION_KEY
from lti_tool.models import Registration
from lti_tool.models import db
from lti_tool.testing import sign_in
from tests.tutors import make_booking
from tests.tutors import make_tutor
from tests.tutors import make_user


def booking_page_in_a_frame_of(client: FlaskClient, lms: str | None) -> str:
    tutor, learner = make_tutor(), make_user()
    booking = make_booking(tutor, learner, dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    sign_in(client, learner)
    if lms is not None:
        registration = Registration(
            issuer="https://lms.school.example",  # recognised by no product: the family decides
            client_id="tool",
            lms=lms,
            auth_login_url="https://lms.school.example/auth",
            auth_token_url="https://lms.school.example/token",
            key_set_url="https://lms.school.example/jwks",
        )
        db.session.add(registration)
        db.session.commit()
        with client.session_transaction() as session:
            session[SESSION_KEY] = {
                "registration_id": registration.id,
                "deployment_id": 1,
                "course_id": None,
                "roles": ["learner"],
                "return_url": "",
            }
    page = client.get(f"/bookings/{booking.id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lms", "own_window"),
    [
        ("blackboard", True),  # Learn's frames grant nothing
        ("moodle", False),  # camera and microphone allowed
        ("canvas", False),
        ("generic", False),  # not known: the room stays where the page is
        (None, False),  # the public site, no frame
    ],
)
def test_the_room_opens_in_its_own_window_only_where_the_frame_refuses_the_camera(
    app: Flask, client: FlaskClient, lms: str | None, own_window: bool
) -> None:
    page = booking_page_in_a_frame_of(client, lms)

    assert 'data-testid="room-link"' in page
    assert ('target="_blank"' in page) is own_window
    assert ('data-testid="room-own-window"' in page) is own_window
