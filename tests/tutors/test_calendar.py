"""Invites and feeds, read back with the icalendar package."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from lti_tool.calendar import booking_invite
from lti_tool.calendar import user_feed
from lti_tool.models import BookingState
from lti_tool.models import db
from tests.tutors import make_booking
from tests.tutors import make_tutor
from tests.tutors import make_user
from tests.tutors import sign_in

START = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # Europe's DST change, 01:30 in Paris


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def test_invite_carries_the_booking(app: Flask) -> None:
    tutor = make_tutor(name="Tess Tutor")
    learner = make_user(name="Lee Learner")
    booking = make_booking(tutor, learner, START, minutes=45)
    calendar = parse(booking_invite(booking))
    assert calendar["method"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == START
    assert event.decoded("dtend") == START + dt.timedelta(minutes=45)
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(0)
    assert str(event["uid"]) == f"{booking.uid}@127.0.0.1"
    assert event["sequence"] == 0
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["summary"]) == "Algebra: Tess Tutor and Lee Learner"
    assert str(event["url"]) == f"http://127.0.0.1:5000/rooms/{booking.id}"
    assert str(event["organizer"]) == f"mailto:{tutor.user.email}"
    attendees = {str(a) for a in event["attendee"]}
    assert attendees == {f"mailto:{tutor.user.email}", f"mailto:{learner.email}"}


def test_changes_bump_the_sequence_and_cancel_uses_method_cancel(app: Flask) -> None:
    booking = make_booking(make_tutor(), make_user(), START)
    first = parse(booking_invite(booking)).walk("VEVENT")[0]
    booking.start_at += dt.timedelta(hours=2)
    booking.end_at += dt.timedelta(hours=2)
    booking.block_start, booking.block_end = booking.tutor.booked_span(
        booking.start_at, booking.end_at
    )
    booking.sequence += 1
    db.session.commit()
    moved = parse(booking_invite(booking)).walk("VEVENT")[0]
    assert moved["uid"] == first["uid"]
    assert moved["sequence"] == first["sequence"] + 1
    assert moved.decoded("dtstart") == START + dt.timedelta(hours=2)

    booking.state = BookingState.CANCELLED
    booking.sequence += 1
    db.session.commit()
    cancel = parse(booking_invite(booking, "CANCEL"))
    assert cancel["method"] == "CANCEL"
    [event] = cancel.walk("VEVENT")
    assert str(event["status"]) == "CANCELLED"
    assert event["sequence"] == 2
    assert event["uid"] == first["uid"]


def test_people_without_email_are_left_out(app: Flask) -> None:
    learner = make_user(name="No Mail", email=None)
    event = parse(booking_invite(make_booking(make_tutor(), learner, START))).walk("VEVENT")[0]
    assert not isinstance(event["attendee"], list)
    assert "No Mail" in str(event["summary"])


def test_feed_lists_both_roles_and_marks_cancellations(app: Flask) -> None:
    tutor = make_tutor()
    learner = make_user()
    other_tutor = make_tutor(name="Other Tutor")
    taught = make_booking(tutor, learner, START)
    cancelled = make_booking(
        tutor, learner, START + dt.timedelta(days=1), state=BookingState.CANCELLED
    )
    make_booking(tutor, learner, START + dt.timedelta(days=2), state=BookingState.HELD)
    # The tutor also takes a lesson from a colleague.
    attended = make_booking(other_tutor, tutor.user, START + dt.timedelta(days=3))
    events = {str(e["uid"]).split("@")[0]: e for e in parse(user_feed(tutor.user)).walk("VEVENT")}
    assert set(events) == {taught.uid, cancelled.uid, attended.uid}
    assert str(events[cancelled.uid]["status"]) == "CANCELLED"
    assert str(events[taught.uid]["status"]) == "CONFIRMED"
    learner_events = parse(user_feed(learner)).walk("VEVENT")
    assert len(learner_events) == 2


def test_invite_download_is_for_participants_only(app: Flask, client: FlaskClient) -> None:
    tutor = make_tutor()
    learner = make_user()
    booking = make_booking(tutor, learner, START)
    url = f"/bookings/{booking.id}/invite.ics"
    assert client.get(url).status_code == 401
    sign_in(client, make_user())
    assert client.get(url).status_code == 404
    for person in (learner, tutor.user):
        sign_in(client, person)
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "text/calendar"
        assert parse(response.data).walk("VEVENT")[0].decoded("dtstart") == START
    assert client.get("/bookings/99999/invite.ics").status_code == 404
    booking.state = BookingState.CANCELLED
    db.session.commit()
    assert parse(client.get(url).data)["method"] == "CANCEL"


def test_feed_url_works_and_rotation_revokes_it(app: Flask, client: FlaskClient) -> None:
    tutor = make_tutor()
    booking = make_booking(tutor, make_user(), START)
    old_path = f"/calendar/{tutor.user.calendar_token}.ics"
    response = client.get(old_path)
    assert response.status_code == 200
    assert parse(response.data).walk("VEVENT")[0]["uid"].startswith(booking.uid)
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    assert client.post("/api/v1/me/calendar-token", json={}).status_code == 401

    sign_in(client, tutor.user)
    assert client.get("/api/v1/me/calendar-token").json["url"].endswith(old_path)
    rotated = client.post("/api/v1/me/calendar-token", json={})
    assert rotated.status_code == 200
    new_url = rotated.json["url"]
    assert new_url.startswith("http://127.0.0.1:5000/calendar/") and new_url.endswith(".ics")
    assert not new_url.endswith(old_path)
    with client.session_transaction() as session:
        session.clear()
    assert client.get(old_path).status_code == 404
    new_path = new_url.removeprefix("http://127.0.0.1:5000")
    assert client.get(new_path).status_code == 200
