"""A Blackboard-shaped platform driving the tool over real HTTP.

The lti1p3platform harness of ``tests/lti`` with Learn's one issuer, an application id from the
developer portal as client id and a school's deployment UUID, registered as ``--lms
blackboard`` (endpoints pointing at the harness). Launches carry what Learn sends: family code
``BlackboardLearn``, the ``lis`` claim, Learn's own session token claim, AGS and NRPS endpoints
under ``/learn/api/v1/lti``.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterator

import pytest
from flask import Flask

from lti_tool.lti.protocol import claims as c
from lti_tool.lti.protocol.launch import Launch
from tests.lti import conftest as lti
from tests.lti.conftest import Tool
from tests.plugins.lms_harness import launch  # noqa: F401 - the plugin tests import it from here
from tests.plugins.lms_harness import lms_tool
from tests.plugins.lms_harness import record_mapped_launches

ISSUER = "https://blackboard.com"
#: The application id the developer portal gave the tool: the client id at every school.
APPLICATION_ID = "3f2c9a41-7d5e-4b8a-9c61-0e2f4d6b8a10"
#: Deployment ids of two schools that added the tool.
NORTH = "0b7e4f2a-3c1d-4e5f-8a9b-1c2d3e4f5a6b"
SOUTH = "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f"
LEARN = "https://learn.north.edu"
COURSE_CONTEXT = "e9fc3b4a3e8a4c7e9c9b1f1c2d3e4f5a"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
STUDENT_ROLES = [LIS + "membership#Learner", LIS + "institution/person#Student"]
TEACHER_ROLES = [LIS + "membership#Instructor", LIS + "institution/person#Faculty"]

#: The live server of the LTI tests (one per session), under a name of its own here.
lti_server = lti.served


@pytest.fixture
def registered_as() -> str:
    """The ``--lms`` the administrator chose when adding the platform."""
    return "blackboard"


@pytest.fixture
def blackboard(app: Flask, lti_server: tuple[t.Any, str], registered_as: str) -> Iterator[Tool]:
    with lms_tool(
        app, lti_server, registered_as, issuer=ISSUER, client_id=APPLICATION_ID, deployment_id=NORTH
    ) as tool:
        yield tool


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch) -> list[Launch]:
    """Every launch the tool maps, with the product that mapped it (``product_family``)."""
    return record_mapped_launches(monkeypatch)


def learn_claims() -> dict[str, t.Any]:
    """The Learn-specific part of a launch from course ``_4_1`` at ``learn.north.edu``."""
    course = f"{LEARN}/learn/api/v1/lti/courses/_4_1"
    return {
        c.CONTEXT: {
            "id": COURSE_CONTEXT,
            "label": "ALG-101",
            "title": "Algebra I",
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        },
        c.TOOL_PLATFORM: {
            "guid": "83656022865f4f47a898b986399a01a8",
            "name": "North College",
            "description": "North College",
            "product_family_code": "BlackboardLearn",
            "version": "3900.93.0-rel.59+7d3ba1c",
            "url": LEARN + "/",
        },
        c.LTI + "lis": {"person_sourcedid": "gh1906", "course_section_sourcedid": "ALG-101"},
        c.LAUNCH_PRESENTATION: {
            "return_url": f"{LEARN}/webapps/blackboard/execute/blti/launchReturn"
            "?course_id=_4_1&content_id=_44_1&toGC=false",
            "locale": "en-US",
        },
        c.AGS: {
            "lineitems": f"{course}/lineItems",
            "lineitem": f"{course}/lineItems/_40_1",
            "scope": [
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
            ],
        },
        c.NRPS: {
            "context_memberships_url": f"{course}/memberships",
            "service_versions": ["2.0"],
        },
        "https://blackboard.com/lti/claim/one_time_session_token": "c2a9d1e0f3b24c7d9e8f",
        "locale": "en-US",
    }
