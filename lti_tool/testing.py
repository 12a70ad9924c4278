"""Testing a plugin against the real tool: a pytest plugin and the helpers it is made of.

A plugin's ``tests/conftest.py`` says ``pytest_plugins = ["lti_tool.testing"]`` and gets
``app`` (the tool with every installed plugin, on a fresh SQLite file, inside its application
context), ``client`` and ``runner``. :func:`sign_in` gives a test client the session the
tool's own sign-in makes, with a CSRF token to send as :data:`CSRF_HEADERS`. The tool's own
tests build on the same helpers.
"""

from __future__ import annotations

import contextlib
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
