"""A corpus of odd requests: each must get a 4xx that gives a reason and changes nothing.

Every entry once made the tool answer 500: dates at the ends of the calendar, ids beyond 64
bits, digits ``int`` cannot read, JSON that is not an object or nests 100,000 deep, and NUL
bytes that PostgreSQL refuses in text. The corpus runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing as t
from dataclasses import dataclass
from dataclasses import field

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.models import Booking
from lti_tool.models import Payment
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.web.input_guard import digits_at_most
from tests.booking import CSRF
from tests.booking import NOW
from tests.booking import count
from tests.booking import install_clock
from tests.booking import make_subject
from tests.booking import make_tutor
from tests.booking import make_user
from tests.booking import sign_in
from tests.tutors import make_booking

HUGE = "99999999999999999999999"
DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"timezone": ' + DEEP + "}"
SLOTS = "start=2030-01-08&end=2030-01-08&tz=UTC"


@dataclass(frozen=True)
class Case:
    """One request of the corpus; ``{tutor}`` and ``{booking}`` in the path are filled in."""

    method: str
    path: str
    status: int
    reason: str
    #: A JSON body, given as the text sent, so that malformed JSON can be sent too.
    body: str | None = None
    form: dict[str, str] = field(default_factory=dict)
    #: Who sends it: the signed-in ``learner`` or an ``anonymous`` visitor.
    who: str = "learner"


def js(value: t.Any) -> str:
    return json.dumps(value)


def booking_body(**change: t.Any) -> str:
    body = {
        "tutor_id": "{tutor}",
        "subject": "algebra",
        "start": "2030-01-08T10:00:00Z",
        "duration": 60,
        **change,
    }
    return js(body)


CORPUS: tuple[Case, ...] = (
    # 1. Dates at the ends of the calendar.
    Case("GET", "/api/v1/tutors/{tutor}/slots?start=0001-01-01&end=0001-01-02", 400, "year"),
    Case("GET", "/api/v1/tutors/{tutor}/slots?start=9999-12-30&end=9999-12-31", 400, "year"),
    Case("GET", "/api/v1/tutors/{tutor}/slots?start=0001-01-01&end=9999-12-31", 400, "year"),
    Case(
        "GET",
        "/api/v1/tutors/{tutor}/slots?start=9999-12-31&end=9999-12-31&tz=Pacific/Kiritimati",
        400,
        "year",
    ),
    Case("GET", "/api/v1/slots?subject=algebra&start=0001-01-01&end=0001-01-01", 400, "year"),
    Case(
        "GET",
        "/api/v1/slots?subject=algebra&start=9999-12-31&end=9999-12-31&tz=Pacific/Kiritimati",
        400,
        "year",
    ),
    Case("POST", "/api/v1/bookings", 400, "year", booking_body(start="0001-01-01T00:00:00Z")),
    Case("POST", "/api/v1/bookings", 400, "year", booking_body(start="9999-12-31T23:59:59Z")),
    Case("POST", "/api/v1/bookings", 400, "year", booking_body(start="0001-01-01T00:00+14:00")),
    Case(
        "POST",
        "/api/v1/bookings/{booking}/reschedule",
        400,
        "year",
        js({"start": "0001-01-01T00:00:00Z"}),
    ),
    Case(
        "POST",
        "/api/v1/bookings/{booking}/reschedule",
        400,
        "year",
        js({"start": "9999-12-31T23:59:59Z", "duration": 60}),
    ),
    Case(
        "POST",
        "/api/v1/bookings/{booking}/reschedule",
        400,
        "year",
        js({"start": "9999-12-31T23:59:59-14:00"}),
    ),
    # 2. Integers beyond 64 bits, in paths and in bodies.
    Case("GET", f"/api/v1/bookings/{HUGE}", 404, "not found"),
    Case("GET", f"/api/v1/bookings/{2**63}", 404, "not found"),
    Case("GET", f"/api/v1/bookings/{2**31}", 404, "not found"),
    Case("DELETE", f"/api/v1/bookings/{2**31}", 404, "not found"),
    Case("GET", f"/tutors/{2**31}", 404, "not found"),
    Case("DELETE", f"/api/v1/bookings/{HUGE}", 404, "not found"),
    Case("POST", f"/api/v1/bookings/{HUGE}/reschedule", 404, "not found", js({})),
    Case("POST", f"/api/v1/bookings/{HUGE}/attendance", 404, "not found", js({})),
    Case("GET", f"/tutors/{HUGE}", 404, "not found"),
    Case("GET", f"/bookings/{HUGE}", 404, "not found"),
    Case("GET", f"/rooms/{HUGE}", 404, "not found"),
    Case("GET", f"/api/v1/tutors/{HUGE}", 404, "not found"),
    Case("GET", f"/api/v1/tutors/{HUGE}/slots?{SLOTS}", 404, "not found"),
    Case("GET", f"/api/v1/tutors/{HUGE}/availability", 404, "not found"),
    Case("GET", f"/bookings/{HUGE}/invite.ics", 404, "not found"),
    Case("GET", f"/bookings/{HUGE}/review", 404, "not found"),
    Case("GET", f"/lti/course/{HUGE}", 404, "not found"),
    Case("GET", f"/video/rooms/{HUGE}/pass", 404, "not found"),
    Case("POST", "/api/v1/bookings", 400, "too large", booking_body(tutor_id=10**30)),
    Case("POST", "/api/v1/bookings", 400, "too large", booking_body(tutor_id=-(10**30))),
    Case("POST", "/api/v1/bookings", 400, "too large", booking_body(duration=10**30)),
    Case("POST", "/api/v1/bookings", 400, "too large", booking_body(course_id=10**30)),
    Case("POST", "/api/v1/bookings", 400, "too large", booking_body(tutor_id=2**63)),
    Case("POST", "/api/v1/bookings", 400, "whole number", booking_body(tutor_id=2**63 - 1)),
    Case("POST", "/api/v1/bookings", 400, "whole number", booking_body(tutor_id=2**31)),
    Case("POST", "/api/v1/bookings", 400, "whole number", booking_body(course_id=2**31)),
    Case("POST", "/api/v1/bookings", 400, "no tutor", booking_body(tutor_id=2**31 - 1)),
    Case(
        "POST",
        "/api/v1/bookings/{booking}/reschedule",
        400,
        "too large",
        js({"start": "2030-01-08T12:00:00Z", "duration": 10**30}),
    ),
    Case(
        "PUT",
        "/api/v1/tutors/{tutor}/availability",
        400,
        "too large",
        js({"interval_min": 10**30}),
    ),
    # 3. Digits that str.isdigit accepts and int cannot read, or that are not ASCII.
    Case("GET", "/api/v1/me/bookings?limit=²", 400, "whole number"),
    Case("GET", "/api/v1/me/bookings?limit=٣", 400, "whole number"),
    Case("GET", f"/api/v1/me/bookings?limit={HUGE}", 400, "whole number"),
    Case("GET", f"/api/v1/tutors/{{tutor}}/slots?{SLOTS}&duration=²", 400, "duration"),
    Case("GET", f"/api/v1/tutors/{{tutor}}/slots?{SLOTS}&duration=١٥", 400, "duration"),
    Case("GET", f"/api/v1/tutors/{{tutor}}/slots?{SLOTS}&duration={HUGE}", 400, "duration"),
    Case("GET", f"/api/v1/slots?subject=algebra&{SLOTS}&duration=²", 400, "duration"),
    Case("GET", "/api/v1/recommendations?limit=²", 400, "whole number"),
    Case("GET", "/api/v1/recommendations?subject=²", 400, "no subject"),
    Case("GET", f"/api/v1/recommendations?subject={HUGE}", 400, "no subject"),
    Case("GET", "/api/v1/tutors/٣", 404, "not found"),
    # 4. JSON bodies that are not objects.
    Case("POST", "/api/v1/me/timezone", 400, "object", js(["Europe/Berlin"])),
    Case("POST", "/api/v1/me/timezone", 400, "object", js("Europe/Berlin")),
    Case("POST", "/api/v1/me/timezone", 400, "object", js(5)),
    Case("POST", "/api/v1/me/timezone", 400, "object", "null"),
    Case("POST", "/api/v1/me/timezone", 400, "not valid JSON", "{"),
    Case("POST", "/api/v1/bookings", 400, "object", js([])),
    Case("POST", "/api/v1/bookings/{booking}/reschedule", 400, "object", js("x")),
    Case("POST", "/api/v1/bookings/{booking}/attendance", 400, "object", "true"),
    Case("DELETE", "/api/v1/bookings/{booking}", 400, "object", js([1])),
    Case("PUT", "/api/v1/tutors/{tutor}/availability", 400, "object", js([])),
    Case("POST", "/api/v1/bookings", 400, "NaN", '{"duration": NaN}'),
    # 5. JSON nested 100,000 deep (brackets inside strings do not count).
    Case("POST", "/api/v1/me/timezone", 400, "deeper", DEEP),
    Case("POST", "/api/v1/me/timezone", 400, "deeper", DEEP_OBJECT),
    Case("POST", "/api/v1/bookings", 400, "deeper", DEEP_OBJECT),
    Case("POST", "/api/v1/bookings/{booking}/reschedule", 400, "deeper", DEEP_OBJECT),
    Case("POST", "/api/v1/bookings/{booking}/attendance", 400, "deeper", DEEP_OBJECT),
    Case("DELETE", "/api/v1/bookings/{booking}", 400, "deeper", DEEP_OBJECT),
    Case("PUT", "/api/v1/tutors/{tutor}/availability", 400, "deeper", DEEP_OBJECT),
    Case("POST", "/payments/stripe/webhook", 400, "deeper", DEEP_OBJECT, who="anonymous"),
    Case("POST", "/api/v1/me/timezone", 400, "unknown IANA", js({"timezone": "[" * 5000})),
    # 6. NUL bytes in forms, query strings, paths and JSON text.
    Case(
        "POST", "/signup", 400, "NUL", form={"name": "A\x00", "email": "a@b.test"}, who="anonymous"
    ),
    Case(
        "POST",
        "/signup",
        400,
        "NUL",
        form={"name": "Ann", "email": "a@b.test", "password": "x" * 12, "timezone": "UTC\x00"},
        who="anonymous",
    ),
    Case(
        "POST",
        "/login",
        400,
        "NUL",
        form={"email": "a\x00@b.test", "password": "x"},
        who="anonymous",
    ),
    Case("POST", "/password/forgot", 400, "NUL", form={"email": "\x00"}, who="anonymous"),
    Case("POST", "/verify/resend", 400, "NUL", form={"email": "a@b.test\x00"}, who="anonymous"),
    Case("GET", "/catalog?subject=%00", 400, "NUL", who="anonymous"),
    Case("GET", "/catalog?tz=Europe/Berlin%00", 400, "NUL", who="anonymous"),
    Case("GET", "/catalog?language=e%00", 400, "NUL", who="anonymous"),
    Case("GET", "/catalog?%00=1", 400, "NUL", who="anonymous"),
    Case(
        "GET",
        "/lti/login?iss=https://lms.example%00&login_hint=1&target_link_uri=https://t.example/",
        400,
        "NUL",
        who="anonymous",
    ),
    Case(
        "POST",
        "/lti/login",
        400,
        "NUL",
        form={"iss": "https://lms.example\x00", "login_hint": "1"},
        who="anonymous",
    ),
    Case("GET", f"/api/v1/tutors/{{tutor}}/slots?{SLOTS}%00", 400, "NUL"),
    Case("GET", f"/api/v1/slots?subject=algebra%00&{SLOTS}", 400, "NUL"),
    Case("GET", "/api/v1/recommendations?language=e%00", 400, "NUL"),
    Case("GET", "/tutors/{tutor}?subject=%00", 400, "NUL"),
    Case("GET", "/subjects/alg%00ebra", 400, "NUL", who="anonymous"),
    Case("GET", "/calendar/%00.ics", 400, "NUL", who="anonymous"),
    Case("GET", "/verify/a%00b", 400, "NUL", who="anonymous"),
    Case("GET", "/password/reset/a%00b", 400, "NUL", who="anonymous"),
    Case("POST", "/api/v1/bookings", 400, "NUL", booking_body(subject="algebra\x00")),
    Case("POST", "/api/v1/me/timezone", 400, "NUL", js({"timezone": "UTC\x00"})),
    Case("POST", "/api/v1/me/timezone", 400, "NUL", js({"time\x00zone": "UTC"})),
)


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 60


@pytest.fixture
def world(app: Flask) -> dict[str, t.Any]:
    install_clock(app)
    subject = make_subject()
    tutor = make_tutor([subject], name="Tara Tutor")
    learner = make_user("Lee Learner", timezone="Europe/Berlin")
    booking = make_booking(tutor, learner, NOW + dt.timedelta(days=1), subject=subject)
    return {
        "ids": {"tutor": str(tutor.id), "booking": str(booking.id)},
        "learner": sign_in(app.test_client(), learner),
        "anonymous": anonymous(app),
    }


def anonymous(app: Flask) -> FlaskClient:
    """A client nobody signed in on, with a CSRF token so its form posts reach the views."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = CSRF["X-CSRF-Token"]
    return client


def rows() -> dict[str, int]:
    return {model.__name__: count(model) for model in (Booking, User, Payment)}


def send(client: FlaskClient, case: Case, ids: dict[str, str]) -> tuple[int, str]:
    path = case.path.format(**ids)
    if case.body is not None:
        # Ids go into bodies as numbers; the placeholder is quoted in the JSON text.
        body = case.body.replace('"{tutor}"', ids["tutor"])
        response = client.open(path, method=case.method, data=body, content_type="application/json")
    elif case.form:
        form = {**case.form, "csrf_token": CSRF["X-CSRF-Token"]}
        response = client.open(path, method=case.method, data=form)
    else:
        response = client.open(path, method=case.method, headers=CSRF)
    return response.status_code, response.get_data(as_text=True)


def test_odd_input_gets_a_4xx_with_a_reason_and_changes_nothing(
    app: Flask, world: dict[str, t.Any]
) -> None:
    before = rows()
    failures: list[str] = []
    for case in CORPUS:
        label = f"{case.method} {case.path[:80]} {(case.body or str(case.form))[:60]!r}"
        try:
            status, text = send(world[case.who], case, world["ids"])
        except Exception as exc:  # the app raised instead of answering: a 500 in production
            db.session.rollback()
            failures.append(f"{label}: raised {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if status != case.status:
            failures.append(f"{label}: {status} instead of {case.status}: {text[:200]}")
        elif case.reason.lower() not in text.lower():
            failures.append(f"{label}: the answer does not say {case.reason!r}: {text[:200]}")
        after = rows()
        if after != before:
            failures.append(f"{label}: rows changed from {before} to {after}")
            before = after
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("limit", [0, 7, 10, 99, 100, 2**31 - 1, 2**63 - 1])
def test_the_id_pattern_matches_exactly_the_numbers_up_to_its_limit(limit: int) -> None:
    pattern = re.compile(digits_at_most(limit))
    numbers = {*range(0, 1200), limit - 1, limit, limit + 1, limit * 10, limit // 7}
    for number in sorted(n for n in numbers if n >= 0):
        assert bool(pattern.fullmatch(str(number))) == (number <= limit), number
