"""Rate limits on booking, calendar-address rotation and LTI launches.

Each limit is lowered through the test app's own config, then crossed: the request past it is
answered 429 with Retry-After and changes nothing, while another person or address carries on.
Every test runs with the counts in the database (SQLite and PostgreSQL) and in Redis, and time
moves by the application's clock, never by sleeping.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from lti_tool import rate_limits
from lti_tool.config import ConfigError
from lti_tool.models import Booking
from lti_tool.models import RateCount
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.testing import app_in_context
from lti_tool.testing import make_test_app as make_app
from tests import services
from tests.booking import FakeClock
from tests.booking import count
from tests.booking import install_clock
from tests.booking import make_subject
from tests.booking import make_tutor
from tests.booking import make_user
from tests.booking import sign_in
from tests.lti.platform import LmsPlatform
from tests.lti.platform import register_with_tool
from tests.lti.platform import serve
from tests.services import throwaway_redis

LOW_LIMITS = {
    "bookings_per_user_per_hour": 2,
    "calendar_token_rotations_per_user_per_hour": 2,
    "lti_launches_per_client_per_minute": 3,
}
ELSEWHERE = {"REMOTE_ADDR": "198.51.100.9"}


@pytest.fixture(params=["table", "redis"])
def app(request: pytest.FixtureRequest, database_url: str) -> Iterator[Flask]:
    """A site with low limits, counting in the database or in the shared test Redis."""
    overrides: dict[str, Any] = dict(LOW_LIMITS)
    if request.param == "redis":
        # A secret of its own keeps this run's keys apart from anything else in the Redis.
        overrides.update(redis_url=services.redis_url(), secret_key=uuid.uuid4().hex)
    with app_in_context(database_url, **overrides) as app:
        yield app


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    return install_clock(app)


@pytest.fixture
def tutor(app: Flask, clock: FakeClock) -> TutorProfile:
    return make_tutor([make_subject()], name="Uma")


def book(client: FlaskClient, tutor: TutorProfile, hour: int) -> TestResponse:
    body = {
        "tutor_id": tutor.id,
        "subject": "algebra",
        "start": f"2030-01-07T{hour:02d}:00:00Z",
        "duration": 60,
    }
    return client.post("/api/v1/bookings", json=body)


def feed_url(response: TestResponse) -> str:
    assert response.status_code == 200 and response.json is not None
    return str(response.json["url"])


def counted_in_table() -> int:
    return count(RateCount)


# -- booking -------------------------------------------------------------------------------------


def test_booking_past_the_limit_is_refused_and_books_nothing(
    app: Flask, clock: FakeClock, tutor: TutorProfile
) -> None:
    learner = sign_in(app.test_client(), make_user("Lea"))
    assert book(learner, tutor, 9).status_code == 201
    clock.advance(minutes=10)
    assert book(learner, tutor, 10).status_code == 201
    clock.advance(minutes=10)

    refused = book(learner, tutor, 11)
    assert refused.status_code == 429
    # The first booking leaves the window an hour after it was asked for, 40 minutes from now.
    assert refused.headers["Retry-After"] == "2400"
    assert refused.json is not None and "booking requests" in refused.json["detail"]
    assert count(Booking) == 2

    other = sign_in(app.test_client(), make_user("Ola"))
    assert book(other, tutor, 11).status_code == 201

    clock.advance(minutes=40)
    assert book(learner, tutor, 12).status_code == 201
    assert count(Booking) == 4


def test_a_refused_booking_request_does_not_lengthen_the_wait(
    app: Flask, clock: FakeClock, tutor: TutorProfile
) -> None:
    learner = sign_in(app.test_client(), make_user("Lea"))
    assert [book(learner, tutor, hour).status_code for hour in (9, 10)] == [201, 201]
    started = clock()
    for minutes in (5, 20, 45):
        clock.now = started + dt.timedelta(minutes=minutes)
        refused = book(learner, tutor, 11)
        assert (refused.status_code, refused.headers["Retry-After"]) == (
            429,
            str((60 - minutes) * 60),
        )
    clock.now = started + dt.timedelta(hours=1)
    assert book(learner, tutor, 11).status_code == 201


# -- calendar address ----------------------------------------------------------------------------


def test_rotating_the_calendar_address_past_the_limit_keeps_the_address(
    app: Flask, clock: FakeClock
) -> None:
    person = make_user("Cal")
    client = sign_in(app.test_client(), person)
    urls = [feed_url(client.post("/api/v1/me/calendar-token", json={})) for _ in range(2)]
    assert len(set(urls)) == 2

    refused = client.post("/api/v1/me/calendar-token", json={})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3600"
    assert refused.json is not None and refused.json["error"] == "Too Many Requests"
    assert feed_url(client.get("/api/v1/me/calendar-token")) == urls[-1]
    db.session.rollback()
    token = db.session.scalar(sa.select(User.calendar_token).where(User.id == person.id))
    assert urls[-1].endswith(f"/calendar/{token}.ics")

    someone_else = sign_in(app.test_client(), make_user("Dee"))
    assert someone_else.post("/api/v1/me/calendar-token", json={}).status_code == 200
    clock.advance(hours=1, seconds=1)
    assert client.post("/api/v1/me/calendar-token", json={}).status_code == 200


# -- LTI -----------------------------------------------------------------------------------------


@pytest.fixture
def platform(app: Flask, clock: FakeClock) -> Iterator[LmsPlatform]:
    with serve(LmsPlatform(tool_url=app.config["BASE_URL"])) as lms:
        register_with_tool(lms)
        yield lms


def state_cookies(response: TestResponse) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("lti1p3_state_")]


def test_lti_logins_from_one_address_past_the_limit_are_refused(
    app: Flask, clock: FakeClock, platform: LmsPlatform
) -> None:
    school = app.test_client()
    url = platform.login_url()
    answers = [school.get(url), school.post(url), school.get(url)]
    assert [answer.status_code for answer in answers] == [302, 302, 302]

    refused = school.get(url)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert "Too many launches from your network" in refused.get_data(as_text=True)
    # No login state was issued for the refused request.
    assert state_cookies(refused) == [] and "Location" not in refused.headers

    assert app.test_client().get(url, environ_base=ELSEWHERE).status_code == 302
    clock.advance(seconds=61)
    assert school.get(url).status_code == 302


def test_launches_are_limited_apart_from_logins(
    app: Flask, clock: FakeClock, platform: LmsPlatform
) -> None:
    school = app.test_client()
    for _ in range(3):
        assert school.get(platform.login_url()).status_code == 302
    # The logins used up their own allowance; a launch still gets to the state check.
    answers = [school.post("/lti/launch", data={"state": "forged"}) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [400, 400, 400, 429]
    assert answers[-1].headers["Retry-After"] == "60"
    assert school.post("/lti/launch/verify", data={"state": "forged"}).status_code == 429


# -- Redis away, and the settings ----------------------------------------------------------------


def test_with_redis_away_the_limits_still_hold(sqlite_url: str, tmp_path: Path) -> None:
    with (
        throwaway_redis(tmp_path) as server,
        app_in_context(sqlite_url, redis_url=server.url, **LOW_LIMITS) as app,
    ):
        clock = install_clock(app)
        client = sign_in(app.test_client(), make_user("Cal"))
        assert client.post("/api/v1/me/calendar-token", json={}).status_code == 200
        assert counted_in_table() == 0

        server.stop()
        answers = [client.post("/api/v1/me/calendar-token", json={}) for _ in range(3)]
        # The count goes on in the table; the one made in Redis is out of sight meanwhile.
        assert [answer.status_code for answer in answers] == [200, 200, 429]
        assert answers[-1].headers["Retry-After"] == "3600"
        assert counted_in_table() == 2

        server.start()
        clock.advance(minutes=1)
        assert client.post("/api/v1/me/calendar-token", json={}).status_code == 200
        assert counted_in_table() == 2


def test_limits_are_settings_with_generous_defaults(sqlite_url: str) -> None:
    app = make_app(sqlite_url)
    assert app.config["BOOKINGS_PER_USER_PER_HOUR"] == 30
    assert app.config["CALENDAR_TOKEN_ROTATIONS_PER_USER_PER_HOUR"] == 10
    assert app.config["LTI_LAUNCHES_PER_CLIENT_PER_MINUTE"] == 300
    assert app.config["BAD_WEBHOOKS_PER_CLIENT_PER_MINUTE"] == 60
    with pytest.raises(ConfigError, match="bookings_per_user_per_hour"):
        make_app(sqlite_url, bookings_per_user_per_hour=0)


def test_the_table_keeps_only_digests_and_forgets_expired_rows(database_url: str) -> None:
    with app_in_context(database_url) as app:
        clock = install_clock(app)
        rate_limits.CALENDAR_TOKEN_ROTATIONS.take("user:1")
        clock.advance(hours=2)
        rate_limits.BOOKINGS.take("user:1")
        rows = db.session.execute(sa.select(RateCount.key_digest, RateCount.at)).all()
    # The calendar row outlived its window and went when the booking row came.
    assert [at for _, at in rows] == [clock()]
    assert all("user" not in key_digest for key_digest, _ in rows)
