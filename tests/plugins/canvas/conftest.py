"""A Canvas-shaped platform driving the tool over real HTTP.

The platform is the lti1p3platform harness of ``tests/lti`` with Canvas's issuer, a developer
key id as client id and a Canvas deployment id, registered as ``--lms canvas`` (its endpoints
point at the harness, as an administrator's overrides would). Its launches carry what Canvas
sends: ``tool_platform`` with family code ``canvas``, the placement claim, custom fields from
variable substitution, AGS and NRPS endpoints on the school's domain.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterator

import pytest
from flask import Flask
from lti_tool_canvas.claims import PLACEMENT

from lti_tool.lti.protocol import claims as c
from lti_tool.lti.protocol.launch import Launch
from tests.lti import conftest as lti
from tests.lti.conftest import Tool
from tests.plugins.lms_harness import launch  # noqa: F401 - the plugin tests import it from here
from tests.plugins.lms_harness import lms_tool
from tests.plugins.lms_harness import record_mapped_launches

PRODUCTION = "https://canvas.instructure.com"
BETA = "https://canvas.beta.instructure.com"
TEST = "https://canvas.test.instructure.com"
#: A developer key id.
CLIENT_ID = "10000000000042"
#: Canvas deployment ids: the installation's id, a colon, 40 hex digits.
DEPLOYMENT_ID = "189:8865aa05b4b79b64a91a86042e43af5ea8ae79eb"
SCHOOL = "https://school.instructure.com"
COURSE_CONTEXT = "4dde05e8ca1973bcca9bffc13e1548820eee93a3"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
STUDENT_ROLES = [
    LIS + "membership#Learner",
    LIS + "institution/person#Student",
    LIS + "system/person#User",
]
TEACHER_ROLES = [
    LIS + "membership#Instructor",
    LIS + "institution/person#Instructor",
    LIS + "system/person#User",
]
#: The live server of the LTI tests (one per session), under a name of its own here.
lti_server = lti.served
#: Canvas adds these to claims it builds with its own serializer.
_NO_ERRORS: dict[str, t.Any] = {"validation_context": None, "errors": {"errors": {}}}


@pytest.fixture
def issuer() -> str:
    return PRODUCTION


@pytest.fixture
def registered_as() -> str:
    """The ``--lms`` the administrator chose when adding the platform."""
    return "canvas"


@pytest.fixture
def canvas(
    app: Flask, lti_server: tuple[t.Any, str], issuer: str, registered_as: str
) -> Iterator[Tool]:
    with lms_tool(
        app,
        lti_server,
        registered_as,
        issuer=issuer,
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
    ) as tool:
        yield tool


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch) -> list[Launch]:
    """Every launch the tool maps, with the product that mapped it (``product_family``)."""
    return record_mapped_launches(monkeypatch)


def canvas_claims(
    placement: str | None = "course_navigation", custom: dict[str, str] | None = None
) -> dict[str, t.Any]:
    """The Canvas-specific part of a launch from a course at ``school.instructure.com``."""
    course = f"{SCHOOL}/api/lti/courses/3334"
    return {
        c.CONTEXT: {
            "id": COURSE_CONTEXT,
            "label": "ALG101",
            "title": "Algebra I",
            "type": [COURSE_OFFERING],
            **_NO_ERRORS,
        },
        c.TOOL_PLATFORM: {
            "guid": "4MRcxnx6vQbFXxhLb8005m5WXFM2Z2i8lQwhJ1QT:canvas-lms",
            "name": "Example University",
            "version": "cloud",
            "product_family_code": "canvas",
            **_NO_ERRORS,
        },
        c.LAUNCH_PRESENTATION: {
            "document_target": "iframe",
            "return_url": f"{SCHOOL}/courses/3334/external_content/success/external_tool_redirect",
            "locale": "en",
            "height": 400,
            "width": 800,
            **_NO_ERRORS,
        },
        c.CUSTOM: custom if custom is not None else {"canvas_user_id": "4021"},
        c.AGS: {
            "scope": [
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                "https://purl.imsglobal.org/spec/lti-ags/scope/score",
            ],
            "lineitems": f"{course}/line_items",
            **_NO_ERRORS,
        },
        c.NRPS: {
            "context_memberships_url": f"{course}/names_and_roles",
            "service_versions": ["2.0"],
            **_NO_ERRORS,
        },
        c.LTI + "lti11_legacy_user_id": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        PLACEMENT: placement,
        "locale": "en",
        "picture": "https://canvas.instructure.com/images/messages/avatar-50.png",
    }


def deep_linking_claims(placement: str) -> dict[str, t.Any]:
    """What Canvas adds when it opens the tool to pick content (link or assignment)."""
    return {
        c.MESSAGE_TYPE: "LtiDeepLinkingRequest",
        c.DEEP_LINKING_SETTINGS: {
            "deep_link_return_url": f"{SCHOOL}/courses/3334/deep_linking_response?modal=true",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_media_types": "application/vnd.ims.lti.v1.ltilink",
            "accept_multiple": placement == "link_selection",
            "auto_create": False,
            **_NO_ERRORS,
        },
    }
