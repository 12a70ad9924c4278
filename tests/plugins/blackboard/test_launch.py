"""Launches shaped like Learn's, end to end; one application id, one deployment per school."""

from __future__ import annotations

import html

import pytest
import requests
import sqlalchemy as sa

import lti_tool.cli
from lti_tool.lti.protocol import tokens
from lti_tool.lti.protocol.launch import Launch
from lti_tool.models import Course
from lti_tool.models import Deployment
from lti_tool.models import Registration
from lti_tool.models import db
from tests.lti.conftest import Tool

from .conftest import APPLICATION_ID
from .conftest import COURSE_CONTEXT
from .conftest import ISSUER
from .conftest import NORTH
from .conftest import SOUTH
from .conftest import STUDENT_ROLES
from .conftest import TEACHER_ROLES
from .conftest import launch
from .conftest import learn_claims

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


@pytest.mark.parametrize("role", ["student", "teacher"])
@pytest.mark.parametrize("family_code", ["BlackboardLearn", None])
@pytest.mark.parametrize("registered_as", ["blackboard", "generic"])
def test_a_learn_launch_is_read_by_the_blackboard_product(
    blackboard: Tool, mapped: list[Launch], registered_as: str, family_code: str | None, role: str
) -> None:
    claims = learn_claims()
    if family_code is None:
        del claims["https://purl.imsglobal.org/spec/lti/claim/tool_platform"]
    roles = STUDENT_ROLES if role == "student" else TEACHER_ROLES
    response = launch(blackboard, claims, roles=roles)

    assert response.status_code == 302, response.text
    (read,) = mapped
    # Learn's issuer alone names the product, whatever the registration says.
    assert read.product_family == "blackboard"
    assert read.product_family_code == (family_code or "")
    assert (read.issuer, read.client_id, read.deployment_id) == (ISSUER, APPLICATION_ID, NORTH)
    assert read.ags is not None and read.ags.lineitem.endswith("/lineItems/_40_1")
    assert read.claims["https://blackboard.com/lti/claim/one_time_session_token"]
    course = db.session.scalars(sa.select(Course)).one()
    assert course.context_id == COURSE_CONTEXT
    expected = f"/lti/course/{course.id}" if role == "teacher" else "/"
    assert response.headers["Location"] == expected


def test_each_school_is_a_deployment_added_by_hand(blackboard: Tool) -> None:
    assert launch(blackboard, learn_claims()).status_code == 302
    blackboard.platform.deployment_id = SOUTH

    # Learn names the deployment in the login, so an unknown school stops there.
    refused = blackboard.browser.get(blackboard.platform.login_url(), allow_redirects=False)
    assert refused.status_code == 400
    assert f"deployment '{SOUTH}' is not registered" in html.unescape(refused.text).lower()

    added = blackboard.app.test_cli_runner().invoke(
        lti_tool.cli.cli,
        [
            *("deployment", "add", "--issuer", ISSUER, "--client-id", APPLICATION_ID),
            *("--deployment-id", SOUTH),
        ],
    )
    assert added.exit_code == 0, added.output
    assert launch(blackboard, learn_claims()).status_code == 302

    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1
    # Both schools' courses share Learn's context id and stay apart by deployment.
    schools = db.session.execute(
        sa.select(Deployment.deployment_id, Course.context_id).join(
            Course, Course.deployment_id == Deployment.id
        )
    ).all()
    assert sorted(schools) == sorted([(NORTH, COURSE_CONTEXT), (SOUTH, COURSE_CONTEXT)])


def test_service_tokens_are_asked_for_with_a_form(
    blackboard: Tool, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[requests.Response] = []
    original = requests.Session.request

    def recording(*args: object, **kwargs: object) -> requests.Response:
        answer = original(*args, **kwargs)  # type: ignore[arg-type]
        answers.append(answer)
        return answer

    monkeypatch.setattr(requests.Session, "request", recording)
    tokens.forget_tokens()
    registration = db.session.scalars(sa.select(Registration)).one()

    token = tokens.access_token(registration, [SCORE])

    assert token in blackboard.platform.issued_tokens
    (answer,) = [a for a in answers if a.request.method == "POST"]
    sent = answer.request
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert isinstance(sent.body, str) and "grant_type=client_credentials" in sent.body
