"""A Moodle-shaped platform driving the tool over real HTTP.

The lti1p3platform harness of ``tests/lti`` with a Moodle site as issuer, the random client id
Moodle makes up and the tool configuration's id as deployment, registered as ``--lms moodle``
(endpoints pointing at the harness). Launches carry what Moodle sends: family code ``moodle``,
the ``ext`` claim with the username, the LTI 1.1 outcome claim, short context types, and AGS
URLs that keep the tool configuration in a query string.
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

SITE = "https://moodle.school.edu"
CLIENT_ID = "kA1bC2dE3fG4hI5"
#: The id of the tool's configuration on the site.
DEPLOYMENT_ID = "3"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
ROLES = {
    "student": [LIS + "membership#Learner"],
    "teacher": [LIS + "membership#Instructor"],
    "site administrator": [LIS + "membership#Instructor", LIS + "system/person#Administrator"],
}

#: The live server of the LTI tests (one per session), under a name of its own here.
lti_server = lti.served


@pytest.fixture
def site() -> str:
    return SITE


@pytest.fixture
def registered_as() -> str:
    """The ``--lms`` the administrator chose when adding the platform."""
    return "moodle"


@pytest.fixture
def moodle(
    app: Flask, lti_server: tuple[t.Any, str], site: str, registered_as: str
) -> Iterator[Tool]:
    with lms_tool(
        app,
        lti_server,
        registered_as,
        issuer=site,
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
    ) as tool:
        yield tool


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch) -> list[Launch]:
    """Every launch the tool maps, with the product that mapped it (``product_family``)."""
    return record_mapped_launches(monkeypatch)


def moodle_claims(site: str = SITE, services: str | None = None) -> dict[str, t.Any]:
    """The Moodle-specific part of a launch of activity 7 in course 2 of *site*.

    :param services: where ``mod/lti/services.php`` answers, when not on the site itself.
    """
    endpoint = f"{services or site}/mod/lti/services.php"
    return {
        c.CONTEXT: {"id": "2", "label": "ALG101", "title": "Algebra I", "type": ["CourseSection"]},
        c.RESOURCE_LINK: {"title": "Book a tutor", "description": "", "id": "7"},
        c.TOOL_PLATFORM: {
            "product_family_code": "moodle",
            "version": "2024042200",
            "guid": site.split("://", 1)[1],
            "name": "School",
            "description": "School Moodle",
        },
        c.LTI + "ext": {"user_username": "ghopper", "lms": "moodle-2"},
        c.LTI + "lis": {"person_sourcedid": "", "course_section_sourcedid": ""},
        "https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome": {
            "lis_result_sourcedid": '{"data":{"instanceid":"7","userid":"5","typeid":"3"}}',
            "lis_outcome_service_url": f"{site}/mod/lti/service.php",
        },
        c.LAUNCH_PRESENTATION: {
            "locale": "en",
            "document_target": "iframe",
            "return_url": f"{site}/mod/lti/return.php?course=2&launch_container=3&instanceid=7",
        },
        c.AGS: {
            "scope": [
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                "https://purl.imsglobal.org/spec/lti-ags/scope/score",
            ],
            "lineitems": f"{endpoint}/2/lineitems?type_id={DEPLOYMENT_ID}",
            "lineitem": f"{endpoint}/2/lineitems/5/lineitem?type_id={DEPLOYMENT_ID}",
        },
        c.NRPS: {
            "context_memberships_url": (
                f"{endpoint}/CourseSection/2/bindings/{DEPLOYMENT_ID}/memberships"
            ),
            "service_versions": ["1.0", "2.0"],
        },
        c.CUSTOM: {"subject": "algebra"},
    }
