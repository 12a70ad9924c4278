"""Registration documents, cookie attributes inside an LMS iframe, and production limits."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.lti.products.tool_config import SCOPES
from lti_tool.testing import app_in_context
from tests.lti.platform import LmsPlatform
from tests.lti.platform import register_with_tool
from tests.lti.platform import serve

TOOL = "https://tool.example"


def test_generic_registration_document(app: Flask, client: FlaskClient) -> None:
    app.config["BASE_URL"] = TOOL
    document = client.get("/lti/config/generic").json
    assert document["initiate_login_uri"] == f"{TOOL}/lti/login"
    assert document["redirect_uris"] == [f"{TOOL}/lti/launch"]
    assert document["jwks_uri"] == f"{TOOL}/.well-known/jwks.json"
    assert set(document["scope"].split()) == set(SCOPES)
    configuration = document["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert configuration["target_link_uri"] == f"{TOOL}/lti/launch"
    assert configuration["domain"] == "tool.example"
    assert {"sub", "email", "name"} <= set(configuration["claims"])
    assert {m["type"] for m in configuration["messages"]} == {
        "LtiResourceLinkRequest",
        "LtiDeepLinkingRequest",
    }
    assert client.get("/lti/config/no-such-lms").status_code == 404


def _cookie(response: object, name_prefix: str) -> str:
    headers = response.headers.getlist("Set-Cookie")  # type: ignore[attr-defined]
    found = [header for header in headers if header.startswith(name_prefix)]
    assert found, headers
    return found[0]


@pytest.fixture
def https_platform(app: Flask) -> Iterator[LmsPlatform]:
    app.config["BASE_URL"] = TOOL
    with serve(LmsPlatform(tool_url=TOOL)) as platform:
        register_with_tool(platform)
        yield platform


def test_cookies_over_https_work_inside_an_lms_iframe(
    app: Flask, https_platform: LmsPlatform
) -> None:
    browser = app.test_client()
    login = browser.get(https_platform.login_url())
    assert login.status_code == 302
    state_cookie = _cookie(login, "lti1p3_state_")
    for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned", "Path=/lti/"):
        assert attribute in state_cookie
    auth = dict(parse_qsl(urlsplit(login.headers["Location"]).query))
    token = https_platform.sign(https_platform.message(auth))
    launched = browser.post(
        "/lti/launch", data={"id_token": token, "state": auth["state"]}, base_url=TOOL
    )
    assert launched.status_code == 302, launched.get_data(as_text=True)
    session_cookie = _cookie(launched, "session=")
    for attribute in ("Secure", "SameSite=None", "Partitioned"):
        assert attribute in session_cookie
    assert "Max-Age=0" in _cookie(launched, "lti1p3_state_")


def test_standalone_sessions_keep_the_default_cookie(app: Flask) -> None:
    page = app.test_client().get("/dev/sign-in", base_url=TOOL)
    assert page.status_code == 200
    session_cookie = _cookie(page, "session=")
    assert "SameSite=None" not in session_cookie


@pytest.fixture
def production(database_url: str) -> Iterator[Flask]:
    with app_in_context(
        database_url,
        mode="production",
        secret_key="p" * 48,
        data_keys=Fernet.generate_key().decode(),
        realtime_diagnostics=False,
    ) as app:
        yield app


def test_development_platform_is_absent_in_production(production: Flask) -> None:
    client = production.test_client()
    for path in ("/dev/lms", "/dev/lms/start?person=ada", "/dev/lms/auth", "/dev/lms/jwks.json"):
        assert client.get(path).status_code == 404
    assert client.post("/dev/lms/token").status_code == 404


def test_a_development_platform_row_cannot_launch_in_production(production: Flask) -> None:
    from lti_tool.default_plugins.dev_lms import platform as dev_platform

    registration = dev_platform.ensure_registration("http://localhost")
    response = production.test_client().get(
        "/lti/login",
        query_string={
            "iss": registration.issuer,
            "login_hint": "ada",
            "target_link_uri": f"{production.config['BASE_URL']}/lti/launch",
        },
    )
    assert response.status_code == 400
    assert "only works in development mode" in response.get_data(as_text=True)
