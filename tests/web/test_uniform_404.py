"""Every route that takes a booking id answers someone else's booking exactly as a missing one.

A different answer for "exists but not yours" would let anyone signed in count the bookings
and watch them being made, one id at a time.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from dataclasses import field

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.models import Booking
from tests.booking import CSRF
from tests.booking import at
from tests.booking import install_clock
from tests.booking import make_subject
from tests.booking import make_tutor
from tests.booking import make_user
from tests.booking import sign_in
from tests.tutors import make_booking


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    #: What the booking's own learner gets, so a route answering 404 to everyone fails.
    owner_status: int
    json: dict[str, t.Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


RESCHEDULE = {"start": "2030-01-08T10:00:00+00:00", "duration": 60}

ROUTES = [
    Route("GET", "/api/v1/bookings/{id}", 200),
    Route("DELETE", "/api/v1/bookings/{id}", 200, json={}),
    Route("POST", "/api/v1/bookings/{id}/reschedule", 200, json=RESCHEDULE),
    # Only the tutor records attendance: the learner hears 403, a stranger 404.
    Route("POST", "/api/v1/bookings/{id}/attendance", 403, json={"attended": True}),
    Route("GET", "/bookings/{id}", 200),
    Route("GET", "/bookings/{id}/invite.ics", 200),
    # A confirmed booking has nothing to pay: its learner is sent back to the booking page.
    Route("POST", "/bookings/{id}/pay", 302, headers=CSRF),
    Route("GET", "/rooms/{id}", 200),
    # Only a completed session can be rated; this one is still to come.
    Route("GET", "/bookings/{id}/review", 409),
    # The room opens shortly before the session, which is days away on the test clock.
    Route("GET", "/video/rooms/{id}/pass", 403),
]


def _ask(client: FlaskClient, route: Route, booking_id: int) -> t.Any:
    return client.open(
        route.path.format(id=booking_id),
        method=route.method,
        json=route.json,
        headers=route.headers,
    )


def _booking(app: Flask) -> Booking:
    install_clock(app)
    subject = make_subject()
    tutor = make_tutor([subject])
    return make_booking(tutor, make_user("Lou Learner"), at(9, 10), subject=subject)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_someone_elses_booking_looks_missing(app: Flask, route: Route) -> None:
    booking = _booking(app)
    booking_id, learner = booking.id, booking.learner
    stranger = sign_in(app.test_client(), make_user("Sam Stranger"))

    theirs = _ask(stranger, route, booking_id)
    missing = _ask(stranger, route, booking_id + 1000)

    assert theirs.status_code == 404, theirs.get_data(as_text=True)
    assert (theirs.status_code, theirs.get_data()) == (missing.status_code, missing.get_data())
    assert theirs.content_type == missing.content_type
    # The booking is really there and answers its own learner.
    owner = _ask(sign_in(app.test_client(), learner), route, booking_id)
    assert owner.status_code == route.owner_status, owner.get_data(as_text=True)
