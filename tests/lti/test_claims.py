"""The generic claim mapping: roles in every spelling, services, deep linking settings."""

from __future__ import annotations

import pytest

from lti_tool.lti.products.product import Product
from lti_tool.lti.products.registry import ProductRegistry
from lti_tool.lti.protocol import claims as c
from lti_tool.lti.protocol.claims import ClaimMapper
from lti_tool.lti.protocol.claims import neutral_role
from lti_tool.lti.protocol.launch import Launch
from lti_tool.models import Registration
from lti_tool.models import RoleName

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    ("role", "neutral"),
    [
        (LIS + "membership#Learner", RoleName.LEARNER),
        (LIS + "membership#Mentor", RoleName.LEARNER),
        (LIS + "membership#Instructor", RoleName.INSTRUCTOR),
        (LIS + "membership#ContentDeveloper", RoleName.INSTRUCTOR),
        (LIS + "membership#TeachingAssistant", RoleName.INSTRUCTOR),
        (LIS + "membership/Instructor#TeachingAssistant", RoleName.INSTRUCTOR),
        (LIS + "membership/Learner#Learner", RoleName.LEARNER),
        (LIS + "membership#Administrator", RoleName.INSTRUCTOR),
        (LIS + "institution/person#Administrator", RoleName.ADMIN),
        (LIS + "system/person#Administrator", RoleName.ADMIN),
        (LIS + "system/person#SysAdmin", RoleName.ADMIN),
        (LIS + "institution/person#Instructor", None),
        (LIS + "institution/person#Student", None),
        ("Learner", RoleName.LEARNER),
        ("Instructor", RoleName.INSTRUCTOR),
        ("TeachingAssistant", RoleName.INSTRUCTOR),
        ("urn:lti:role:ims/lis/Instructor", RoleName.INSTRUCTOR),
        ("urn:lti:role:ims/lis/Learner", RoleName.LEARNER),
        ("urn:lti:instrole:ims/lis/Administrator", RoleName.ADMIN),
        ("urn:lti:sysrole:ims/lis/SysAdmin", RoleName.ADMIN),
        ("urn:lti:instrole:ims/lis/Student", None),
        ("http://example.org/vocab#Instructor", None),
        ("Wizard", None),
        ("", None),
    ],
)
def test_neutral_role(role: str, neutral: RoleName | None) -> None:
    assert neutral_role(role) == neutral


def mapped(claims: dict[str, object]) -> Launch:
    base = {
        "iss": "https://lms.example.edu",
        "sub": "u-1",
        c.MESSAGE_TYPE: "LtiResourceLinkRequest",
        c.DEPLOYMENT_ID: "d-1",
        c.TARGET_LINK_URI: "https://tool.example/lti/launch",
        c.ROLES: [],
    }
    return Product().claims.launch({**base, **claims}, client_id="client-1")


def test_roles_default_to_learner_and_combine() -> None:
    assert mapped({}).roles == {RoleName.LEARNER}
    several = mapped({c.ROLES: [LIS + "membership#Learner", "Instructor", "Unknown"]})
    assert several.roles == {RoleName.LEARNER, RoleName.INSTRUCTOR}
    assert several.raw_roles == (LIS + "membership#Learner", "Instructor", "Unknown")
    assert several.is_instructor and several.is_learner


def test_services_custom_parameters_and_platform() -> None:
    launch = mapped(
        {
            "name": " ",
            "given_name": "Grace",
            "family_name": "Hopper",
            "email": "Grace@Example.EDU",
            c.CUSTOM: {"subject": "algebra", "attempts": 3, "graded": True, "none": None},
            c.AGS: {
                "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                "lineitems": "https://lms.example.edu/lineitems",
            },
            c.NRPS: {
                "context_memberships_url": "https://lms.example.edu/members",
                "service_versions": ["2.0"],
            },
            c.TOOL_PLATFORM: {"product_family_code": "moodle"},
        }
    )
    assert launch.person is not None
    assert (launch.person.display_name, launch.person.email) == (
        "Grace Hopper",
        "grace@example.edu",
    )
    assert launch.custom == {"subject": "algebra", "attempts": "3", "graded": "True"}
    assert launch.ags is not None and launch.ags.lineitems.endswith("/lineitems")
    assert launch.nrps is not None and launch.nrps.service_versions == ("2.0",)
    assert launch.services["nrps"]["context_memberships_url"].endswith("/members")
    assert launch.product_family_code == "moodle"
    assert launch.context is None and launch.deep_linking is None


def test_deep_linking_settings() -> None:
    launch = mapped(
        {
            c.MESSAGE_TYPE: "LtiDeepLinkingRequest",
            c.DEEP_LINKING_SETTINGS: {
                "deep_link_return_url": "https://lms.example.edu/dl/return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "data": "opaque",
            },
        }
    )
    assert launch.is_deep_linking
    settings = launch.deep_linking
    assert settings is not None
    assert settings.accept_types == ("ltiResourceLink",)
    assert settings.accept_multiple and not settings.auto_create
    assert settings.data == "opaque"


def test_product_registry_picks_the_product_for_a_platform() -> None:
    class Moodle(Product):
        family = "moodle"
        product_family_codes = ("moodle",)

    registry = ProductRegistry()
    registry.register(Product)
    registry.register(Moodle)
    assert registry.for_platform("https://school.example", "Moodle") is Moodle
    assert registry.for_platform("https://school.example", None) is Product
    assert Moodle.claims_class is ClaimMapper
    bound = registry.bound(Registration(issuer="https://school.example", lms="moodle"))
    assert type(bound) is Moodle and type(bound.claims) is ClaimMapper
