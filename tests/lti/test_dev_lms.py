"""The development platform: a mock course launching the tool through the real OIDC flow."""

from __future__ import annotations

import re
import time

import jwt
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.default_plugins.dev_lms import platform as dev_platform
from lti_tool.lti.protocol import tokens
from lti_tool.models import Course
from lti_tool.models import Enrollment
from lti_tool.models import Registration
from lti_tool.models import Subject
from lti_tool.models import db
from tests.lti.conftest import form_fields

BASE = "http://localhost"


def launch_as(client: FlaskClient, person: str, subject: str = "", storage: bool = False) -> str:
    """Click the course's link; returns where the tool sent the iframe."""
    query = {"person": person, "subject": subject, **({"storage": "1"} if storage else {})}
    start = client.get("/dev/lms/start", query_string=query)
    assert start.status_code == 302
    assert start.location.startswith(f"{BASE}/lti/login?")
    login = client.get(start.location)
    assert login.status_code == (200 if storage else 302)
    if storage:
        next_url = re.search(r'data-next="([^"]+)"', login.get_data(as_text=True))
        assert next_url is not None
        auth_url = next_url.group(1).replace("&amp;", "&")
    else:
        auth_url = login.location
    posted = client.get(auth_url)
    assert posted.status_code == 200
    fields = form_fields(posted.get_data(as_text=True))
    assert set(fields) >= {"id_token", "state"}
    launched = client.post("/lti/launch", data=fields)
    assert launched.status_code == 302, launched.get_data(as_text=True)
    return launched.location


def test_course_page_registers_the_platform_and_launches_everyone(app: Flask) -> None:
    app.config["BASE_URL"] = BASE
    db.session.add(Subject(slug="algebra", name="Algebra"))
    db.session.commit()
    client = app.test_client()
    page = client.get("/dev/lms")
    assert page.status_code == 200
    assert 'name="tool-frame"' in page.get_data(as_text=True)
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.issuer == f"{BASE}/dev/lms"
    assert [d.deployment_id for d in registration.deployments] == [dev_platform.DEPLOYMENT_ID]

    assert launch_as(client, "ada", subject="algebra") == "/subjects/algebra"
    landing = client.get("/subjects/algebra").get_data(as_text=True)
    assert 'data-testid="viewer-name">Ada Lovelace<' in landing
    assert launch_as(client, "ben", storage=True) == "/"
    course = db.session.scalars(sa.select(Course)).one()
    assert launch_as(client, "ivan") == f"/lti/course/{course.id}"
    roster = client.get(f"/lti/course/{course.id}").get_data(as_text=True)
    assert roster.count('data-testid="course-learner"') == 2
    assert "Ada Lovelace" in roster and "Ben Okafor" in roster
    assert course.title == dev_platform.COURSE["title"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment)) == 3


def test_the_platform_checks_its_authentication_requests(app: Flask) -> None:
    app.config["BASE_URL"] = BASE
    client = app.test_client()
    client.get("/dev/lms")
    answer = client.get("/dev/lms/auth", query_string={"scope": "openid"})
    assert answer.status_code == 400
    assert "response_type" in answer.get_data(as_text=True)
    assert client.get("/dev/lms/start", query_string={"person": "mallory"}).status_code == 400


def test_the_platform_token_endpoint_accepts_the_tools_assertion(app: Flask) -> None:
    app.config["BASE_URL"] = BASE
    client = app.test_client()
    client.get("/dev/lms")
    registration = db.session.scalars(sa.select(Registration)).one()
    assertion = tokens.client_assertion(registration)
    granted = client.post(
        "/dev/lms/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": tokens.CLIENT_ASSERTION_TYPE,
            "client_assertion": assertion,
            "scope": "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        },
    )
    assert granted.status_code == 200, granted.get_data(as_text=True)
    assert granted.json is not None and granted.json["token_type"] == "bearer"
    forged = jwt.encode(
        {"iss": registration.client_id, "sub": registration.client_id, "exp": time.time() + 60},
        "s" * 32,
        algorithm="HS256",
    )
    refused = client.post(
        "/dev/lms/token", data={"grant_type": "client_credentials", "client_assertion": forged}
    )
    assert refused.status_code == 401
