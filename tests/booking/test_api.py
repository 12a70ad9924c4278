"""The slots and bookings JSON APIs: zones, windows, refusals with reasons, and permissions."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.models import AuditEntry
from lti_tool.models import Booking
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.scheduling.listing import subject_slots
from tests.booking import CSRF
from tests.booking import FakeClock
from tests.booking import at
from tests.booking import count
from tests.booking import install_clock
from tests.booking import make_subject
from tests.booking import make_tutor
from tests.booking import make_user
from tests.booking import sign_in


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    return install_clock(app)


@pytest.fixture
def subject(app: Flask) -> Subject:
    return make_subject()


@pytest.fixture
def tokyo(subject: Subject, clock: FakeClock) -> TutorProfile:
    return make_tutor(
        [subject], name="Taro", timezone="Asia/Tokyo", hours=("09:00", "10:00"), weekdays=[1]
    )


@pytest.fixture
def tutor(subject: Subject, clock: FakeClock) -> TutorProfile:
    return make_tutor([subject], name="Uma")


@pytest.fixture
def learner(app: Flask) -> User:
    return make_user("Lea", timezone="Europe/Berlin")


@pytest.fixture
def learner_client(app: Flask, learner: User) -> FlaskClient:
    return sign_in(app.test_client(), learner)


def slots_url(tutor: TutorProfile, **params: Any) -> str:
    query = {"start": "2030-01-07", "end": "2030-01-07", "tz": "UTC", "duration": "30", **params}
    text = "&".join(f"{k}={v}" for k, v in query.items() if v is not None)
    return f"/api/v1/tutors/{tutor.id}/slots?{text}"


# -- slots ---------------------------------------------------------------------------------------


def test_tutor_slots_in_the_learners_zone_and_the_tutors(
    client: FlaskClient, tokyo: TutorProfile
) -> None:
    # Monday the 7th in New York runs from 05:00 UTC on the 7th to 05:00 UTC on the 8th, which
    # holds Tuesday 09:00-10:00 in Tokyo (00:00-01:00 UTC on the 8th).
    response = client.get(slots_url(tokyo, tz="America/New_York"))
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["tz"], body["tutor_timezone"], body["duration"]) == (
        "America/New_York",
        "Asia/Tokyo",
        30,
    )
    assert body["slots"][0] == {
        "start": "2030-01-07T19:00:00-05:00",
        "end": "2030-01-07T19:30:00-05:00",
        "start_utc": "2030-01-08T00:00:00Z",
        "end_utc": "2030-01-08T00:30:00Z",
        "tutor_local_start": "2030-01-08T09:00:00+09:00",
    }
    assert [s["start_utc"][11:16] for s in body["slots"]] == ["00:00", "00:15", "00:30"]
    # The same Monday asked for in UTC ends before Tokyo's Tuesday morning begins.
    assert client.get(slots_url(tokyo)).json["slots"] == []


def test_tutor_slots_leave_out_booked_time(
    client: FlaskClient, tutor: TutorProfile, learner_client: FlaskClient
) -> None:
    booked = learner_client.post(
        "/api/v1/bookings",
        json={
            "tutor_id": tutor.id,
            "subject": "algebra",
            "start": at(7, 10).isoformat(),
            "duration": 60,
        },
    )
    assert booked.status_code == 201, booked.json
    starts = {s["start_utc"] for s in client.get(slots_url(tutor)).json["slots"]}
    assert "2030-01-07T09:30:00Z" in starts
    assert not starts & {"2030-01-07T09:45:00Z", "2030-01-07T10:00:00Z", "2030-01-07T10:45:00Z"}
    assert "2030-01-07T11:00:00Z" in starts
    # Nothing before the clock's now (06:00 UTC) is offered.
    assert min(starts) == "2030-01-07T08:00:00Z"


@pytest.mark.parametrize(
    ("params", "status", "error", "detail"),
    [
        ({"tz": "Mars/Olympus_Mons"}, 400, "bad_timezone", "not an IANA timezone"),
        ({"start": "2030-13-01"}, 400, "bad_date", "start: expected a date"),
        ({"end": "07/01/2030"}, 400, "bad_date", "end: expected a date"),
        ({"start": None}, 400, "missing_parameter", "start"),
        ({"start": "2030-01-08"}, 400, "bad_range", "end: must not be before start"),
        ({"start": "2030-01-01", "end": "2030-04-03"}, 400, "bad_range", "93 days"),
        ({"duration": "50"}, 400, "bad_duration", "offers 30, 45, 60, 90"),
        ({"duration": "ten"}, 400, "bad_duration", "expected minutes"),
    ],
)
def test_tutor_slots_refuse_bad_queries_with_a_reason(
    client: FlaskClient,
    tutor: TutorProfile,
    params: dict[str, Any],
    status: int,
    error: str,
    detail: str,
) -> None:
    response = client.get(slots_url(tutor, **params))
    assert response.status_code == status
    assert response.json["error"] == error
    assert detail in response.json["detail"]


def test_tutor_slots_range_limits_and_unknown_tutor(
    client: FlaskClient, tutor: TutorProfile
) -> None:
    assert client.get(slots_url(tutor, start="2030-01-01", end="2030-04-02")).status_code == 200
    assert client.get(slots_url(tutor, duration=None)).json["duration"] == 30
    missing = client.get(f"/api/v1/tutors/{tutor.id + 100}/slots?start=2030-01-07&end=2030-01-07")
    assert missing.status_code == 404
    assert missing.json["error"] == "unknown_tutor"


def test_subject_slots_across_tutors_sorted_by_start(
    client: FlaskClient, subject: Subject, tokyo: TutorProfile, tutor: TutorProfile
) -> None:
    make_tutor([subject], name="Only Short", session_lengths=[30])
    make_tutor([make_subject("french", "French")], name="Elsewhere")
    url = "/api/v1/slots?subject=algebra&start=2030-01-07&end=2030-01-08&tz=America/New_York"

    response = client.get(url + "&duration=60")
    assert response.status_code == 200, response.json
    slots = response.json["slots"]
    assert {s["tutor_name"] for s in slots} == {"Taro", "Uma"}
    assert [s["start_utc"] for s in slots] == sorted(s["start_utc"] for s in slots)
    first_tokyo = next(s for s in slots if s["tutor_id"] == tokyo.id)
    assert first_tokyo["start"] == "2030-01-07T19:00:00-05:00"
    assert first_tokyo["tutor_local_start"] == "2030-01-08T09:00:00+09:00"
    assert (first_tokyo["tutor_timezone"], first_tokyo["duration"]) == ("Asia/Tokyo", 60)

    everyone = client.get(url).json["slots"]
    assert {s["tutor_name"] for s in everyone} == {"Taro", "Uma", "Only Short"}
    assert {s["duration"] for s in everyone} == {30}

    assert client.get("/api/v1/slots?start=2030-01-07&end=2030-01-07").json["error"] == (
        "missing_parameter"
    )
    unknown = client.get("/api/v1/slots?subject=alchemy&start=2030-01-07&end=2030-01-07")
    assert (unknown.status_code, unknown.json["error"]) == (404, "unknown_subject")


# -- bookings ------------------------------------------------------------------------------------


def booking_body(tutor: TutorProfile, **change: Any) -> dict[str, Any]:
    return {
        "tutor_id": tutor.id,
        "subject": "algebra",
        "start": "2030-01-07T11:00:00+01:00",
        "duration": 60,
        **change,
    }


def test_booking_answers_in_utc_and_the_learners_zone(
    learner_client: FlaskClient, tutor: TutorProfile, learner: User
) -> None:
    response = learner_client.post("/api/v1/bookings", json=booking_body(tutor))
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"/api/v1/bookings/{body['id']}"
    assert body["state"] == "confirmed"
    assert (body["start_utc"], body["end_utc"]) == ("2030-01-07T10:00:00Z", "2030-01-07T11:00:00Z")
    assert (body["start"], body["timezone"]) == ("2030-01-07T11:00:00+01:00", "Europe/Berlin")
    assert body["hold_expires_at"] is None
    assert body["invite_url"] == f"/bookings/{body['id']}/invite.ics"
    assert body["tutor"]["name"] == "Uma"
    assert body["learner"]["id"] == learner.id
    assert (body["duration"], body["price_cents"]) == (60, 6000)


def test_a_taken_slot_is_409(app: Flask, learner_client: FlaskClient, tutor: TutorProfile) -> None:
    assert learner_client.post("/api/v1/bookings", json=booking_body(tutor)).status_code == 201
    rival = sign_in(app.test_client(), make_user())
    response = rival.post(
        "/api/v1/bookings", json=booking_body(tutor, start="2030-01-07T10:30:00Z", duration=30)
    )
    assert response.status_code == 409
    assert response.json["error"] == "slot_taken"
    assert count(Booking) == 1


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"start": "2030-01-07T10:00:00"}, "naive_start"),
        ({"start": "2030-01-07"}, "naive_start"),
        ({"start": "next tuesday"}, "bad_start"),
        ({"start": None}, "bad_start"),
        ({"tutor_id": "1"}, "bad_request"),
        ({"tutor_id": None}, "bad_request"),
        ({"duration": True}, "bad_request"),
        ({"duration": -30}, "bad_request"),
        ({"subject": ""}, "bad_request"),
        ({"subject": "alchemy"}, "unknown_subject"),
        ({"tutor_id": 999999}, "unknown_tutor"),
        ({"duration": 50}, "invalid_booking"),
        ({"start": "2030-01-07T10:05:00Z"}, "slot_not_offered"),
        ({"start": "2030-01-07T05:00:00Z"}, "slot_not_offered"),
    ],
)
def test_bad_booking_requests_are_400_and_change_nothing(
    learner_client: FlaskClient, tutor: TutorProfile, change: dict[str, Any], error: str
) -> None:
    response = learner_client.post("/api/v1/bookings", json=booking_body(tutor, **change))
    assert response.status_code == 400, response.json
    assert response.json["error"] == error
    assert response.json["detail"]
    assert count(Booking) == count(AuditEntry) == 0


def test_booking_needs_a_signed_in_user_and_a_json_object(
    client: FlaskClient, learner_client: FlaskClient, tutor: TutorProfile
) -> None:
    assert client.post("/api/v1/bookings", json=booking_body(tutor)).status_code == 401
    response = learner_client.post("/api/v1/bookings", data="tutor_id=1", headers=CSRF)
    assert (response.status_code, response.json["error"]) == (400, "bad_request")
    assert learner_client.post("/api/v1/bookings", json=[1, 2]).status_code == 400


def test_who_may_see_a_booking(
    app: Flask, learner_client: FlaskClient, tutor: TutorProfile
) -> None:
    booking_id = learner_client.post("/api/v1/bookings", json=booking_body(tutor)).json["id"]
    url = f"/api/v1/bookings/{booking_id}"
    tutor_client = sign_in(app.test_client(), tutor.user)
    admin = sign_in(app.test_client(), make_user(roles=[RoleName.ADMIN]))
    stranger = sign_in(app.test_client(), make_user())

    assert learner_client.get(url).json["start"] == "2030-01-07T11:00:00+01:00"
    assert tutor_client.get(url).json["start"] == "2030-01-07T10:00:00+00:00"
    assert admin.get(url).status_code == 200
    assert stranger.get(url).status_code == 404
    assert stranger.delete(url, json={}).status_code == 404
    assert learner_client.get(f"/api/v1/bookings/{booking_id + 1}").status_code == 404
    assert app.test_client().get(url).status_code == 401


def test_cancel_through_the_api_and_the_cutoff(
    app: Flask, learner_client: FlaskClient, tutor: TutorProfile, clock: FakeClock
) -> None:
    soon = learner_client.post("/api/v1/bookings", json=booking_body(tutor)).json["id"]
    later = learner_client.post(
        "/api/v1/bookings", json=booking_body(tutor, start="2030-01-09T10:00:00Z")
    ).json["id"]

    late = learner_client.delete(f"/api/v1/bookings/{soon}", json={"reason": "busy"})
    assert (late.status_code, late.json["error"]) == (409, "past_cutoff")
    assert learner_client.get(f"/api/v1/bookings/{soon}").json["state"] == "confirmed"

    done = learner_client.delete(f"/api/v1/bookings/{later}", json={"reason": "busy"})
    assert done.status_code == 200, done.json
    assert (done.json["state"], done.json["cancel_reason"], done.json["sequence"]) == (
        "cancelled",
        "busy",
        1,
    )
    bad = learner_client.delete(f"/api/v1/bookings/{later}", json={"reason": 5})
    assert bad.status_code == 400

    tutor_client = sign_in(app.test_client(), tutor.user)
    by_tutor = tutor_client.delete(f"/api/v1/bookings/{soon}?reason=ill", headers=CSRF)
    assert (by_tutor.status_code, by_tutor.json["cancel_reason"]) == (200, "ill")


def test_reschedule_through_the_api(learner_client: FlaskClient, tutor: TutorProfile) -> None:
    first = learner_client.post(
        "/api/v1/bookings", json=booking_body(tutor, start="2030-01-09T10:00:00Z")
    ).json["id"]
    learner_client.post("/api/v1/bookings", json=booking_body(tutor, start="2030-01-09T12:00:00Z"))
    url = f"/api/v1/bookings/{first}/reschedule"

    moved = learner_client.post(url, json={"start": "2030-01-09T10:30:00Z", "duration": 90})
    assert moved.status_code == 200, moved.json
    assert (moved.json["id"], moved.json["start_utc"], moved.json["duration"]) == (
        first,
        "2030-01-09T10:30:00Z",
        90,
    )
    clash = learner_client.post(url, json={"start": "2030-01-09T11:30:00Z"})
    assert (clash.status_code, clash.json["error"]) == (409, "slot_taken")
    naive = learner_client.post(url, json={"start": "2030-01-09T15:00:00"})
    assert (naive.status_code, naive.json["error"]) == (400, "naive_start")
    assert learner_client.get(f"/api/v1/bookings/{first}").json["start_utc"] == (
        "2030-01-09T10:30:00Z"
    )


def test_my_bookings_upcoming_and_past(
    app: Flask,
    learner_client: FlaskClient,
    tutor: TutorProfile,
    clock: FakeClock,
) -> None:
    ids = [
        learner_client.post(
            "/api/v1/bookings", json=booking_body(tutor, start=f"2030-01-{day:02d}T10:00:00Z")
        ).json["id"]
        for day in (9, 7, 10)
    ]
    learner_client.delete(f"/api/v1/bookings/{ids[2]}", json={})
    clock.now = at(7, 12)

    upcoming = learner_client.get("/api/v1/me/bookings").json
    assert [b["id"] for b in upcoming["bookings"]] == [ids[0]]
    past = learner_client.get("/api/v1/me/bookings?when=past").json
    assert [b["id"] for b in past["bookings"]] == [ids[2], ids[1]]
    tutor_view = sign_in(app.test_client(), tutor.user).get("/api/v1/me/bookings").json
    assert [b["id"] for b in tutor_view["bookings"]] == [ids[0]]
    assert learner_client.get("/api/v1/me/bookings?when=soon").status_code == 400
    assert learner_client.get("/api/v1/me/bookings?limit=0").status_code == 400


def test_subject_listing_takes_the_same_few_queries_for_any_number_of_tutors(
    app: Flask, subject: Subject, clock: FakeClock
) -> None:
    statements: list[str] = []

    def note(*args: Any) -> None:
        statements.append(args[2])

    subject_id = subject.id

    def queries_for(tutors: int) -> tuple[int, int]:
        for _ in range(tutors):
            make_tutor([db.session.get_one(Subject, subject_id)])
        db.session.remove()
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            found = subject_slots(
                db.session.get_one(Subject, subject_id), at(7, 0), at(14, 0), 60, at(7, 0)
            )
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
        return len(statements), len(found)

    few, slots_few = queries_for(3)
    many, slots_many = queries_for(30)
    assert few == many <= 6
    assert slots_many == 11 * slots_few
