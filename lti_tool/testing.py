"""Testing a plugin against the real tool: a pytest plugin and the helpers it is made of.

A plugin's ``tests/conftest.py`` says ``pytest_plugins = ["lti_tool.testing"]`` and gets
``app`` (the tool with every installed plugin, on a fresh SQLite file, inside its application
context), ``client`` and ``runner``. :func:`sign_in` gives a test client the session the
tool's own sign-in makes, with a CSRF token to send as :data:`CSRF_HEADERS`;
:func:`make_booking` writes a booking as the booking service would, without its rules about
free slots. The tool's own tests build on the same helpers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import typing as t
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask import session as request_session
from flask.testing import FlaskClient
from flask.testing import FlaskCliRunner

from lti_tool import auth
from lti_tool.app import create_app
from lti_tool.booking.writes import new_booking
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Course
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db

#: Sent with a state-changing request of a client given a session by :func:`sign_in`.
CSRF_HEADERS = {"X-CSRF-Token": "lti-tool-testing-csrf-token"}


def make_test_app(database_url: str, **overrides: t.Any) -> Flask:
    """The tool configured for tests: threads instead of eventlet, no Redis, test mode."""
    config = {
        "database_url": database_url,
        "async_mode": "threading",
        "testing": True,
        "redis_url": "",
        "realtime_diagnostics": True,
        "jobs_queue": "memory",
        **overrides,
    }
    return create_app(config)


@contextlib.contextmanager
def app_in_context(database_url: str, **overrides: t.Any) -> Iterator[Flask]:
    """A test application with its schema, inside its application context."""
    app = make_test_app(database_url, **overrides)
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def sign_in(client: FlaskClient, user: User) -> FlaskClient:
    """Give *client* the session the tool's own sign-in gives *user*, and a CSRF token.

    The session is made by :func:`lti_tool.auth.sign_in` rather than written by hand, so it
    carries whatever that adds (the session epoch among it) and stays valid as it changes.
    """
    with client.application.test_request_context():
        auth.sign_in(user)
        signed_in = dict(request_session)
    with client.session_transaction() as session:
        session.clear()
        session.update(signed_in)
        session["csrf_token"] = CSRF_HEADERS["X-CSRF-Token"]
    return client


def make_booking(
    tutor: TutorProfile,
    learner: User,
    start: dt.datetime,
    *,
    minutes: int = 60,
    subject: Subject | None = None,
    course: Course | None = None,
    state: BookingState = BookingState.CONFIRMED,
    currency: str = "usd",
    price_cents: int | None = None,
    hold_expires_at: dt.datetime | None = None,
) -> Booking:
    """A booking of *tutor* by *learner* from *start* for *minutes*, added and flushed.

    The time it keeps from the tutor's other bookings (the session widened by the tutor's
    buffers) and its price come from the function the booking service uses, so a test's booking
    takes the time and costs what a real one would. The database's overlap rule applies, and a
    clash raises ``IntegrityError`` here. Nothing checks that the tutor offers the slot, so a
    test can put a booking anywhere, past included. The caller commits.

    :param subject: what is taught; the tutor's first subject when not given.
    :param price_cents: a price other than the tutor's, such as 0 for a free session.
    """
    # The tutor's buffers and price get their column defaults when it is first flushed.
    db.session.add(tutor)
    db.session.flush()
    if subject is None:
        if not tutor.subjects:
            raise ValueError("make_booking: the tutor teaches no subject; pass subject=")
        subject = tutor.subjects[0].subject
    booking = new_booking(tutor, learner, subject, start, minutes, currency, course)
    booking.state = state
    booking.hold_expires_at = hold_expires_at
    if price_cents is not None:
        booking.price_cents = price_cents
    db.session.add(booking)
    db.session.flush()
    return booking


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The tool with every installed plugin, on a fresh SQLite database."""
    with app_in_context(f"sqlite:///{tmp_path / 'tool.sqlite'}") as made:
        yield made


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
