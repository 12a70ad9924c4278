"""The tutor records whether a session took place; that is what reaches the gradebook."""

from __future__ import annotations

from typing import Any

from flask import Flask

from lti_tool.booking import booking_service
from lti_tool.models import AuditEntry
from lti_tool.models import BookingState
from lti_tool.models import db
from tests.booking import EventRecorder
from tests.booking import at
from tests.booking import install_clock
from tests.booking import make_subject
from tests.booking import make_tutor
from tests.booking import make_user
from tests.booking import sign_in


def test_the_tutor_records_attendance_once_the_session_has_started(
    app: Flask, register_plugin: Any
) -> None:
    recorder = EventRecorder()
    register_plugin(recorder)
    clock = install_clock(app)
    tutor = make_tutor([make_subject()])
    learner = make_user()
    attended = booking_service().book(learner, tutor, tutor.subjects[0].subject, at(8, 10), 60)
    missed = booking_service().book(learner, tutor, tutor.subjects[0].subject, at(8, 14), 60)
    as_tutor = sign_in(app.test_client(), tutor.user)
    as_learner = sign_in(app.test_client(), learner)
    url = f"/api/v1/bookings/{attended.id}/attendance"

    early = as_tutor.post(url, json={"attended": True})
    assert early.status_code == 409, early.json
    clock.now = at(8, 10, 30)
    page = as_tutor.get(f"/bookings/{attended.id}").get_data(as_text=True)
    assert 'data-testid="mark-attended"' in page
    assert 'data-testid="mark-attended"' not in as_learner.get(f"/bookings/{attended.id}").text

    assert as_learner.post(url, json={"attended": True}).status_code == 403
    assert as_tutor.post(url, json={"attended": "yes"}).status_code == 400
    assert as_tutor.post(url, json={}).status_code == 400
    db.session.rollback()
    assert db.session.get(type(attended), attended.id).state == BookingState.CONFIRMED  # type: ignore[union-attr]

    done = as_tutor.post(url, json={"attended": True})
    assert done.status_code == 200, done.json
    assert done.json["state"] == "completed"
    clock.now = at(8, 14, 5)
    absent = as_tutor.post(f"/api/v1/bookings/{missed.id}/attendance", json={"attended": False})
    assert absent.json["state"] == "no_show"
    assert recorder.names(attended.id)[-1] == "completed"
    assert recorder.names(missed.id)[-1] == "no_show"
    db.session.rollback()
    actions = [
        row.action
        for row in db.session.query(AuditEntry).filter(AuditEntry.entity_id == attended.id)
    ]
    assert actions == ["confirmed", "completed"]
    again = as_tutor.post(url, json={"attended": False})
    assert again.status_code == 409
