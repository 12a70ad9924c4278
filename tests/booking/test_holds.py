"""Unpaid holds: they keep their slot for ``hold_minutes`` by the application's clock, then
give it back. Time is moved through ``app.config["CLOCK"]``, never slept."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.booking import booking_service
from lti_tool.models import AuditEntry
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import TutorProfile
from lti_tool.models import db
from tests.booking import EventRecorder
from tests.booking import FakeClock
from tests.booking import PaidPlugin
from tests.booking import at
from tests.booking import install_clock
from tests.booking import make_subject
from tests.booking import make_tutor
from tests.booking import make_user
from tests.booking import sign_in

SLOT = "2030-01-07T10:00:00Z"


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    return install_clock(app)


@pytest.fixture
def recorder(register_plugin: Any) -> EventRecorder:
    register_plugin(PaidPlugin())
    plugin = EventRecorder()
    register_plugin(plugin)
    return plugin


@pytest.fixture
def tutor(app: Flask) -> TutorProfile:
    return make_tutor([make_subject()])


def request_body(tutor: TutorProfile, start: str = SLOT) -> dict[str, Any]:
    return {"tutor_id": tutor.id, "subject": "algebra", "start": start, "duration": 60}


def offered(client: FlaskClient, tutor: TutorProfile) -> set[str]:
    response = client.get(
        f"/api/v1/tutors/{tutor.id}/slots?start=2030-01-07&end=2030-01-07&tz=UTC&duration=60"
    )
    assert response.status_code == 200, response.json
    return {slot["start_utc"] for slot in response.json["slots"]}


def test_an_expired_hold_gives_its_slot_to_the_next_learner(
    app: Flask,
    client: FlaskClient,
    tutor: TutorProfile,
    clock: FakeClock,
    recorder: EventRecorder,
) -> None:
    first = sign_in(app.test_client(), make_user("First"))
    second = sign_in(app.test_client(), make_user("Second"))

    held = first.post("/api/v1/bookings", json=request_body(tutor))
    assert held.status_code == 201, held.json
    assert held.json["state"] == "held"
    assert held.json["hold_expires_at"] == "2030-01-07T06:30:00Z"
    first_id = held.json["id"]
    assert SLOT not in offered(client, tutor)
    assert "2030-01-07T09:15:00Z" not in offered(client, tutor)  # would overlap the hold

    clock.advance(minutes=29, seconds=59)
    taken = second.post("/api/v1/bookings", json=request_body(tutor))
    assert taken.status_code == 409
    assert taken.json["error"] == "slot_taken"

    # At hold_expires_at the slot is offered again, before anyone has marked the hold.
    clock.advance(seconds=1)
    assert SLOT in offered(client, tutor)
    assert first.get(f"/api/v1/bookings/{first_id}").json["state"] == "held"

    rebooked = second.post("/api/v1/bookings", json=request_body(tutor))
    assert rebooked.status_code == 201, rebooked.json
    assert rebooked.json["hold_expires_at"] == "2030-01-07T07:00:00Z"
    assert first.get(f"/api/v1/bookings/{first_id}").json["state"] == "expired"

    db.session.rollback()
    audit = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_id == first_id).order_by(AuditEntry.id)
    ).all()
    assert [(r.action, r.from_state, r.to_state) for r in audit] == [
        ("held", None, "held"),
        ("expired", "held", "expired"),
    ]
    assert audit[1].actor_id is None
    assert audit[1].detail == {"hold_expires_at": "2030-01-07T06:30:00+00:00"}
    assert recorder.events == [
        ("held", first_id, "held"),
        ("expired", first_id, "expired"),
        ("held", rebooked.json["id"], "held"),
    ]


def test_a_paid_hold_keeps_its_slot(
    app: Flask, tutor: TutorProfile, clock: FakeClock, recorder: EventRecorder
) -> None:
    learner = make_user()
    booking = booking_service().book(learner, tutor, tutor.subjects[0].subject, at(7, 10), 60)
    assert booking.state == BookingState.HELD
    clock.advance(minutes=10)
    booking_service().confirm(booking)
    clock.advance(hours=2)
    assert booking_service().expire_holds() == []
    other = sign_in(app.test_client(), make_user())
    assert other.post("/api/v1/bookings", json=request_body(tutor)).status_code == 409
    assert recorder.names() == ["held", "confirmed"]


def test_expire_holds_sweeps_every_tutor(
    app: Flask, tutor: TutorProfile, clock: FakeClock, recorder: EventRecorder
) -> None:
    subject = tutor.subjects[0].subject
    other_tutor = make_tutor([subject])
    early = booking_service().book(make_user(), tutor, subject, at(7, 10), 60)
    clock.advance(minutes=10)
    late = booking_service().book(make_user(), other_tutor, subject, at(7, 10), 60)
    clock.advance(minutes=25)

    assert [b.id for b in booking_service().expire_holds()] == [early.id]
    clock.advance(minutes=10)
    assert [b.id for b in booking_service().expire_holds()] == [late.id]
    assert booking_service().expire_holds() == []
    db.session.rollback()
    states = db.session.scalars(sa.select(Booking.state)).all()
    assert states == [BookingState.EXPIRED, BookingState.EXPIRED]
    assert recorder.names() == ["held", "held", "expired", "expired"]


def test_expire_holds_command_records_lapsed_holds(
    app: Flask, clock: FakeClock, recorder: EventRecorder, tutor: TutorProfile
) -> None:
    from lti_tool.cli import cli

    learner = make_user()
    held = booking_service().book(learner, tutor, tutor.subjects[0].subject, at(7, 10), 60)
    assert held.state == BookingState.HELD
    runner = app.test_cli_runner()

    early = runner.invoke(cli, ["bookings", "expire-holds"])
    assert early.exit_code == 0, early.output
    assert "0 held booking(s) expired" in early.output

    clock.now = held.hold_expires_at  # type: ignore[assignment]
    result = runner.invoke(cli, ["bookings", "expire-holds"])
    assert result.exit_code == 0, result.output
    assert "1 held booking(s) expired" in result.output
    db.session.expire_all()
    assert db.session.get(Booking, held.id).state == BookingState.EXPIRED  # type: ignore[union-attr]
    assert recorder.names(held.id)[-1] == "expired"


def test_one_learner_racing_thirty_holds_gets_at_most_the_cap(
    app: Flask, clock: FakeClock, recorder: EventRecorder
) -> None:
    # Thirty tutors, one slot each: without a cap one person could hold all of them.
    # The 31st request below would pass the hourly limit on booking requests; this test is
    # about the holds cap, so that limit is raised out of the way.
    app.config["BOOKINGS_PER_USER_PER_HOUR"] = 100
    subject = make_subject()
    tutors = [make_tutor([subject]) for _ in range(30)]
    squatter = make_user("Squatter")
    clients = [sign_in(app.test_client(), squatter) for _ in tutors]
    cap = app.config["MAX_HOLDS_PER_LEARNER"]
    bodies = [request_body(tutor) for tutor in tutors]
    squatter_id = squatter.id
    db.session.rollback()
    barrier = threading.Barrier(len(tutors))
    answers: list[tuple[int, Any]] = []

    def hold(i: int) -> None:
        barrier.wait(timeout=60)
        response = clients[i].post("/api/v1/bookings", json=bodies[i])
        answers.append((response.status_code, response.json))

    # Daemon threads: one stuck in its request must not keep the run from ending once the
    # assertion below has failed the test.
    threads = [threading.Thread(target=hold, args=(i,), daemon=True) for i in range(len(tutors))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not [thread for thread in threads if thread.is_alive()], "a hold request never returned"

    assert sorted(status for status, _ in answers) == [201] * cap + [429] * (30 - cap)
    refused = [body for status, body in answers if status == 429]
    assert {body["error"] for body in refused} == {"too_many_holds"}
    db.session.rollback()
    held = db.session.scalars(sa.select(Booking).where(Booking.learner_id == squatter_id)).all()
    assert len(held) == cap
    # Once a hold runs out, the learner may hold another.
    clock.advance(minutes=31)
    again = clients[0].post("/api/v1/bookings", json=bodies[-1])
    assert again.status_code == 201, again.json
