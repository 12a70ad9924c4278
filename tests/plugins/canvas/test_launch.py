"""Launches shaped like Canvas's, end to end through ``/lti/login`` and ``/lti/launch``."""

from __future__ import annotations

import typing as t

import pytest
import sqlalchemy as sa
from lti_tool_canvas.claims import placement

from lti_tool.lti.protocol.launch import Launch
from lti_tool.models import Course
from lti_tool.models import Registration
from lti_tool.models import db
from tests.lti.conftest import Tool

from .conftest import BETA
from .conftest import COURSE_CONTEXT
from .conftest import DEPLOYMENT_ID
from .conftest import PRODUCTION
from .conftest import STUDENT_ROLES
from .conftest import TEACHER_ROLES
from .conftest import TEST
from .conftest import canvas_claims
from .conftest import deep_linking_claims
from .conftest import launch

SELF_HOSTED = "https://canvas.school.edu"
#: What Canvas puts in ``canvas_environment`` for each hosted issuer.
ENVIRONMENT = {PRODUCTION: "production", BETA: "beta", TEST: "test"}
LOGINS: dict[str, t.Callable[[str], dict[str, str]]] = {
    "plain": lambda issuer: {},
    "region and environment": lambda issuer: {
        "canvas_region": "us-east-1",
        "canvas_environment": ENVIRONMENT[issuer],
    },
    # Canvas's code has sent "prod" where its documentation says "production".
    "short environment name": lambda issuer: {
        "canvas_region": "not_configured",
        "canvas_environment": "prod" if issuer == PRODUCTION else ENVIRONMENT[issuer],
    },
}


@pytest.mark.parametrize("role", ["student", "teacher"])
@pytest.mark.parametrize("login", list(LOGINS))
@pytest.mark.parametrize("issuer", [PRODUCTION, BETA, TEST])
def test_a_canvas_launch_is_read_by_the_canvas_product(
    canvas: Tool, mapped: list[Launch], issuer: str, login: str, role: str
) -> None:
    roles = STUDENT_ROLES if role == "student" else TEACHER_ROLES
    response = launch(canvas, canvas_claims(), login=LOGINS[login](issuer), roles=roles)

    assert response.status_code == 302, response.text
    (read,) = mapped
    assert (read.product_family, read.product_family_code) == ("canvas", "canvas")
    assert (read.issuer, read.deployment_id) == (issuer, DEPLOYMENT_ID)
    assert placement(read) == "course_navigation"
    assert read.custom == {"canvas_user_id": "4021"}
    assert read.ags is not None and read.ags.lineitems.endswith("/courses/3334/line_items")
    assert read.nrps is not None and read.nrps.service_versions == ("2.0",)
    course = db.session.scalars(sa.select(Course)).one()
    assert (course.context_id, course.title) == (COURSE_CONTEXT, "Algebra I")
    expected = f"/lti/course/{course.id}" if role == "teacher" else "/"
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("family_code", ["canvas", None])
@pytest.mark.parametrize("registered_as", ["canvas", "generic"])
@pytest.mark.parametrize("issuer", [PRODUCTION, SELF_HOSTED])
def test_which_product_reads_the_launch(
    canvas: Tool, mapped: list[Launch], issuer: str, registered_as: str, family_code: str | None
) -> None:
    claims = canvas_claims()
    if family_code is None:
        del claims["https://purl.imsglobal.org/spec/lti/claim/tool_platform"]

    assert launch(canvas, claims).status_code == 302
    # Hosted Canvas is known by its issuer, any Canvas by its family code, and failing both
    # the administrator's choice at registration decides.
    recognised = issuer == PRODUCTION or family_code is not None or registered_as == "canvas"
    assert mapped[0].product_family == ("canvas" if recognised else "generic")
    assert db.session.scalars(sa.select(Registration)).one().lms == registered_as


def test_variables_canvas_could_not_expand_are_dropped(canvas: Tool, mapped: list[Launch]) -> None:
    custom = {
        "canvas_user_id": "4021",
        "canvas_course_id": "$Canvas.course.id",
        "pronouns": "$com.instructure.Person.pronouns",
        "subject": "algebra",
        "fee": "$5.00",
    }
    response = launch(canvas, canvas_claims(custom=custom))

    assert response.headers["Location"] == "/subjects/algebra"
    assert mapped[0].custom == {"canvas_user_id": "4021", "subject": "algebra", "fee": "$5.00"}


@pytest.mark.parametrize("where", ["link_selection", "assignment_selection"])
def test_selection_placements_open_the_activity_picker(
    canvas: Tool, mapped: list[Launch], where: str
) -> None:
    claims = {**canvas_claims(placement=where), **deep_linking_claims(where)}
    response = launch(canvas, claims, roles=TEACHER_ROLES)

    assert response.status_code == 302, response.text
    (read,) = mapped
    assert read.is_deep_linking and placement(read) == where
    assert read.deep_linking is not None
    assert read.deep_linking.accept_multiple is (where == "link_selection")
    assert read.deep_linking.deep_link_return_url.endswith("/deep_linking_response?modal=true")


def test_a_null_placement_is_no_placement(canvas: Tool, mapped: list[Launch]) -> None:
    assert launch(canvas, canvas_claims(placement=None)).status_code == 302
    assert placement(mapped[0]) is None
