"""Valid launches from an independent platform: rows written, person signed in, right page."""

from __future__ import annotations

import re
import typing as t

import pytest
import sqlalchemy as sa
from flask import session

from lti_tool.lti.protocol import claims as c
from lti_tool.lti.protocol.session import current_launch
from lti_tool.models import Course
from lti_tool.models import Enrollment
from lti_tool.models import LtiIdentity
from lti_tool.models import RoleName
from lti_tool.models import User
from lti_tool.models import db
from tests.lti.conftest import Tool
from tests.lti.platform import INSTRUCTOR
from tests.lti.platform import LEARNER

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


def signed_in_name(page: str) -> str | None:
    found = re.search(r'data-testid="viewer-name">([^<]*)<', page)
    return found.group(1) if found else None


def only_user(tool: Tool) -> User:
    db.session.rollback()
    identity = db.session.scalars(sa.select(LtiIdentity)).one()
    assert identity.issuer == tool.platform.issuer
    return identity.user


def test_learner_launch_lands_on_the_subject_of_the_link(tool: Tool) -> None:
    response = tool.launch(custom={"subject": "algebra"})
    assert response.headers["Location"] == "/subjects/algebra"
    assert "x-frame-options" not in {name.lower() for name in response.headers}
    page = tool.follow(response)
    assert page.status_code == 200
    assert signed_in_name(page.text) == "Grace Hopper"
    assert tool.counts() == {
        "users": 1,
        "identities": 1,
        "courses": 1,
        "enrollments": 1,
        "nonces": 1,
    }
    user = only_user(tool)
    assert (user.name, user.email) == ("Grace Hopper", "grace@example.edu")
    assert user.has_role(RoleName.LEARNER) and not user.has_role(RoleName.ADMIN)
    course = db.session.scalars(sa.select(Course)).one()
    assert (course.context_id, course.title) == ("course-42", "Algebra I")
    enrollment = db.session.scalars(sa.select(Enrollment)).one()
    assert (enrollment.user_id, enrollment.roles) == (user.id, ["learner"])


def test_learner_without_subject_lands_on_the_catalogue(tool: Tool) -> None:
    response = tool.launch()
    assert response.headers["Location"] == "/"


def test_instructor_lands_on_the_course_with_its_learners(tool: Tool) -> None:
    tool.launch(sub="learner-1", name="Ada Learner", email="ada@example.edu")
    response = tool.launch(sub="teacher-1", roles=[INSTRUCTOR], name="Ivan Teacher", email=None)
    course = db.session.scalars(sa.select(Course)).one()
    assert response.headers["Location"] == f"/lti/course/{course.id}"
    page = tool.follow(response)
    assert page.status_code == 200
    assert signed_in_name(page.text) == "Ivan Teacher"
    assert page.text.count('data-testid="course-learner"') == 1
    assert "Ada Learner" in page.text and "ada@example.edu" in page.text
    db.session.rollback()
    roles = sorted(tuple(e.roles) for e in db.session.scalars(sa.select(Enrollment)))
    assert roles == [("instructor",), ("learner",)]


def test_a_learner_cannot_open_the_course_page(tool: Tool) -> None:
    tool.launch()
    course = db.session.scalars(sa.select(Course)).one()
    page = tool.browser.get(f"{tool.url}/lti/course/{course.id}")
    assert page.status_code == 404


def test_a_second_launch_updates_the_same_rows(tool: Tool) -> None:
    tool.launch(name="Grace Hopper")
    tool.launch(name="Grace B. Hopper", roles=[INSTRUCTOR])
    counts = tool.counts()
    assert (counts["users"], counts["courses"], counts["enrollments"]) == (1, 1, 1)
    assert counts["nonces"] == 2
    assert only_user(tool).name == "Grace B. Hopper"
    assert db.session.scalars(sa.select(Enrollment)).one().roles == ["instructor"]


VALID_VARIANTS: dict[str, tuple[dict[str, t.Any], set[str], str | None]] = {
    # name: (claims, neutral roles, expected landing ("course" = the course page))
    "multiple roles": (
        {"roles": [LEARNER, INSTRUCTOR, LIS + "institution/person#Student"]},
        {"learner", "instructor"},
        "course",
    ),
    "short roles": ({"roles": ["Learner"]}, {"learner"}, "/"),
    "short instructor role": ({"roles": ["Instructor"]}, {"instructor"}, "course"),
    "teaching assistant": (
        {"roles": [LIS + "membership/Instructor#TeachingAssistant"]},
        {"instructor"},
        "course",
    ),
    "content developer": (
        {"roles": [LIS + "membership#ContentDeveloper"]},
        {"instructor"},
        "course",
    ),
    "institution administrator": (
        {"roles": [LIS + "institution/person#Administrator"]},
        {"admin"},
        "course",
    ),
    "unknown role": ({"roles": ["http://example.org/roles#Wizard"]}, {"learner"}, "/"),
    "no role": ({"roles": []}, {"learner"}, "/"),
}


@pytest.mark.parametrize("variant", list(VALID_VARIANTS))
def test_valid_role_variants_are_accepted(tool: Tool, variant: str) -> None:
    claims, roles, landing = VALID_VARIANTS[variant]
    response = tool.launch(**claims)
    course = db.session.scalars(sa.select(Course)).one()
    expected = f"/lti/course/{course.id}" if landing == "course" else landing
    assert response.headers["Location"] == expected
    assert set(db.session.scalars(sa.select(Enrollment)).one().roles) == roles
    assert tool.follow(response).status_code == 200
    # An LMS administrator is not an administrator of the tool.
    assert not only_user(tool).has_role(RoleName.ADMIN)


PERSONAL_DATA: dict[str, tuple[dict[str, t.Any], str, str | None, str]] = {
    # name: (claims, stored name, stored e-mail, name shown when signed in)
    "email only": ({"name": None, "email": "Only@Example.edu"}, "", "only@example.edu", "only"),
    "names only": ({"name": "Mary Jackson", "email": None}, "Mary Jackson", None, "Mary Jackson"),
    "no personal data": ({"name": None, "email": None}, "", None, "User "),
}


@pytest.mark.parametrize("variant", list(PERSONAL_DATA))
def test_launches_without_personal_data_work(tool: Tool, variant: str) -> None:
    claims, name, email, shown = PERSONAL_DATA[variant]
    page = tool.follow(tool.launch(**claims))
    assert page.status_code == 200
    assert (signed_in_name(page.text) or "").startswith(shown)
    user = only_user(tool)
    assert (user.name, user.email) == (name, email)


def test_launch_without_context_makes_no_course(tool: Tool) -> None:
    response = tool.launch(with_context=False, roles=[INSTRUCTOR])
    assert response.headers["Location"] == "/"
    assert tool.follow(response).status_code == 200
    counts = tool.counts()
    assert (counts["users"], counts["courses"], counts["enrollments"]) == (1, 0, 0)


def test_email_of_another_account_is_not_taken_over(tool: Tool) -> None:
    db.session.add(User(name="Local Owner", email="grace@example.edu"))
    db.session.commit()
    tool.launch()
    owner = db.session.scalar(sa.select(User).where(User.email == "grace@example.edu"))
    assert owner is not None and owner.name == "Local Owner"
    assert only_user(tool).email is None


def test_launch_by_lti1p3platform_itself_is_accepted(tool: Tool) -> None:
    auth = tool.start()
    form = tool.platform.launch(auth, sub="library-user")
    assert form["launch_url"] == f"{tool.url}/lti/launch"
    response = tool.post(form["id_token"], form["state"])
    assert response.status_code == 302
    assert only_user(tool).identities[0].sub == "library-user"


def test_service_endpoints_of_the_launch_are_kept_on_the_course(tool: Tool) -> None:
    auth = tool.start()
    message = tool.platform.message(auth)
    message[c.AGS] = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "lineitems": "https://lms.example.edu/courses/42/lineitems",
    }
    message[c.NRPS] = {
        "context_memberships_url": "https://lms.example.edu/courses/42/memberships",
        "service_versions": ["2.0"],
    }
    assert tool.post(tool.platform.sign(message), auth["state"]).status_code == 302
    db.session.rollback()
    services = db.session.scalars(sa.select(Course)).one().services
    assert services["ags"]["lineitems"].endswith("/courses/42/lineitems")
    assert services["nrps"]["context_memberships_url"].endswith("/courses/42/memberships")


def test_deep_linking_request_is_accepted_and_remembered(tool: Tool) -> None:
    auth = tool.start()
    message = tool.platform.message(auth, roles=[INSTRUCTOR])
    message[c.MESSAGE_TYPE] = "LtiDeepLinkingRequest"
    message.pop(c.RESOURCE_LINK)
    message[c.DEEP_LINKING_SETTINGS] = {
        "deep_link_return_url": "https://lms.example.edu/deep_links",
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe"],
        "data": "opaque-platform-data",
    }
    response = tool.post(tool.platform.sign(message), auth["state"])
    assert response.status_code == 302, response.text
    assert response.headers["Location"] == "/lti/deep-linking"
    cookie = tool.browser.cookies.get("session")
    serializer = tool.app.session_interface.get_signing_serializer(tool.app)  # type: ignore[attr-defined]
    with tool.app.test_request_context():
        session.update(serializer.loads(cookie))
        launch = current_launch()
    assert launch is not None and launch.deep_linking is not None
    assert launch.deep_linking.deep_link_return_url == "https://lms.example.edu/deep_links"
    assert launch.deep_linking.accept_types == ("ltiResourceLink",)
    assert launch.deep_linking.data == "opaque-platform-data"
    assert launch.course_id is not None and launch.roles == ("instructor",)
