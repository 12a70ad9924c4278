"""Every response carries the browser protections its kind of page needs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from lti_tool.models import Registration
from lti_tool.models import db
from lti_tool.testing import app_in_context
from tests.booking import sign_in
from tests.web import tokyo_booking

_SCRIPT = re.compile(r"<script\b[^>]*>")
_NONCE = re.compile(r'\bnonce="([^"]+)"')
PRODUCTION_KEY = "k" * 48


def policy(response: TestResponse) -> dict[str, str]:
    """The Content-Security-Policy, directive name to its sources."""
    found: dict[str, str] = {}
    for directive in response.headers["Content-Security-Policy"].split(";"):
        name, _, sources = directive.strip().partition(" ")
        found[name] = sources
    return found


def script_nonces(page: str) -> list[str]:
    tags = _SCRIPT.findall(page)
    assert tags, "the page has no script"
    nonces = [_NONCE.search(tag) for tag in tags]
    assert all(nonces), f"a script has no nonce: {tags}"
    return [match.group(1) for match in nonces if match]


def assert_common(response: TestResponse) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = policy(response)
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert csp["connect-src"] == "'self' ws://localhost"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response.headers


def assert_nonce_matches(response: TestResponse) -> None:
    page = response.get_data(as_text=True)
    nonce = re.fullmatch(r"'self' 'nonce-([^']+)'", policy(response)["script-src"])
    assert nonce is not None
    assert set(script_nonces(page)) == {nonce.group(1)}
    assert not re.search(r"\son[a-z]+\s*=", page), "inline event handlers cannot run"


@pytest.fixture
def platform(app: Flask) -> Registration:
    registration = Registration(
        issuer="https://lms.example.edu",
        client_id="tool",
        auth_login_url="https://auth.lms-cdn.example.net:8443/authorize",
        auth_token_url="https://lms.example.edu/token",
        key_set_url="https://lms.example.edu/jwks",
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def test_a_booking_page_may_be_framed_by_the_registered_platforms(
    client: FlaskClient, platform: Registration
) -> None:
    booking = tokyo_booking()
    sign_in(client, booking.tutor.user)
    response = client.get(f"/bookings/{booking.id}")
    assert response.status_code == 200
    assert_common(response)
    assert_nonce_matches(response)
    csp = policy(response)
    assert csp["frame-ancestors"].split() == [
        "'self'",
        "https://auth.lms-cdn.example.net:8443",
        "https://lms.example.edu",
    ]
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Permissions-Policy"] == (
        "camera=(), microphone=(), display-capture=()"
    )


def test_each_page_gets_a_nonce_of_its_own(client: FlaskClient) -> None:
    booking = tokyo_booking()
    sign_in(client, booking.tutor.user)
    first = policy(client.get(f"/bookings/{booking.id}"))["script-src"]
    second = policy(client.get(f"/bookings/{booking.id}"))["script-src"]
    assert first != second


def test_the_room_page_may_use_camera_microphone_and_screen(client: FlaskClient) -> None:
    booking = tokyo_booking()
    sign_in(client, booking.learner)
    response = client.get(f"/rooms/{booking.id}")
    assert response.status_code == 200
    assert_common(response)
    assert_nonce_matches(response)
    assert response.headers["Permissions-Policy"] == (
        "camera=(self), microphone=(self), display-capture=(self)"
    )
    assert policy(response)["frame-ancestors"] == "'self'"


@pytest.mark.parametrize("path", ["/login", "/signup", "/password/forgot", "/admin/"])
def test_account_and_admin_pages_are_never_framed(
    client: FlaskClient, platform: Registration, path: str
) -> None:
    response = client.get(path)
    assert response.status_code in {200, 401}
    assert_common(response)
    csp = policy(response)
    assert csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_sign_up_page_script_carries_the_nonce(client: FlaskClient) -> None:
    response = client.get("/signup")
    assert_nonce_matches(response)


def test_an_api_answer_is_never_framed(client: FlaskClient, platform: Registration) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert_common(response)
    assert policy(response)["frame-ancestors"] == "'none'"
    assert response.headers["Permissions-Policy"] == (
        "camera=(), microphone=(), display-capture=()"
    )


@pytest.fixture
def production_app(database_url: str) -> Iterator[Flask]:
    with app_in_context(
        database_url,
        mode="production",
        secret_key=PRODUCTION_KEY,
        data_keys=Fernet.generate_key().decode(),
        realtime_diagnostics=False,
        base_url="https://tutoring.example.org",
    ) as app:
        yield app


def test_production_sends_hsts_and_a_secure_lax_cookie(production_app: Flask) -> None:
    client = production_app.test_client()
    response = client.get("/login", base_url="https://tutoring.example.org")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert policy(response)["connect-src"] == "'self' wss://tutoring.example.org"
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "SameSite=Lax" in cookie
    assert "HttpOnly" in cookie


def test_development_over_http_keeps_the_cookie_usable(client: FlaskClient) -> None:
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" not in cookie
    assert "SameSite=Lax" in cookie
