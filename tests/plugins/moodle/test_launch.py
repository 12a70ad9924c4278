"""Launches shaped like Moodle's, end to end; Moodle is known by its family code."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lti_tool.lti.protocol.launch import Launch
from lti_tool.models import Course
from lti_tool.models import RoleName
from lti_tool.models import db
from tests.lti.conftest import Tool

from .conftest import CLIENT_ID
from .conftest import DEPLOYMENT_ID
from .conftest import ROLES
from .conftest import launch
from .conftest import moodle_claims

TOOL_PLATFORM = "https://purl.imsglobal.org/spec/lti/claim/tool_platform"
NEUTRAL = {
    "student": {RoleName.LEARNER},
    "teacher": {RoleName.INSTRUCTOR},
    "site administrator": {RoleName.INSTRUCTOR, RoleName.ADMIN},
}


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("site", ["https://moodle.school.edu", "https://school.edu/moodle"])
def test_a_moodle_launch_is_read_by_the_moodle_product(
    moodle: Tool, mapped: list[Launch], site: str, role: str
) -> None:
    response = launch(moodle, moodle_claims(site), roles=ROLES[role])

    assert response.status_code == 302, response.text
    (read,) = mapped
    assert (read.product_family, read.product_family_code) == ("moodle", "moodle")
    assert (read.issuer, read.client_id, read.deployment_id) == (site, CLIENT_ID, DEPLOYMENT_ID)
    assert read.roles == NEUTRAL[role]
    assert read.context is not None and read.context.types == ("CourseSection",)
    assert read.claims["https://purl.imsglobal.org/spec/lti/claim/ext"]["lms"] == "moodle-2"
    assert read.ags is not None and read.ags.lineitem.endswith("/lineitem?type_id=3")
    course = db.session.scalars(sa.select(Course)).one()
    assert (course.context_id, course.title) == ("2", "Algebra I")
    if role == "student":
        assert response.headers["Location"] == "/subjects/algebra"
    else:
        assert response.headers["Location"] == f"/lti/course/{course.id}"


@pytest.mark.parametrize("family_code", ["moodle", "Moodle", None])
@pytest.mark.parametrize("registered_as", ["moodle", "generic"])
def test_moodle_is_known_by_its_family_code_not_its_issuer(
    moodle: Tool, mapped: list[Launch], registered_as: str, family_code: str | None
) -> None:
    claims = moodle_claims()
    if family_code is None:
        del claims[TOOL_PLATFORM]
    else:
        claims[TOOL_PLATFORM]["product_family_code"] = family_code

    assert launch(moodle, claims).status_code == 302
    # No issuer names Moodle; without the code only the administrator's choice does.
    expected = "generic" if family_code is None and registered_as == "generic" else "moodle"
    assert mapped[0].product_family == expected
