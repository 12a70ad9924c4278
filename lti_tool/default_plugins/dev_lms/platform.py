"""A small LTI 1.3 platform built into the tool for development: its registration, its key,
its people and the id_tokens it signs.

It exists so that ``make run`` shows the LMS experience (a course page with the tool in an
iframe, through the real OIDC flow) without an LMS. It is registered the first time its page
is opened, in development mode only, and the login refuses it in production.
"""

from __future__ import annotations

import secrets
import time
import typing as t
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_tool.lti.platforms.registrations import add_platform
from lti_tool.lti.platforms.registrations import find_registration
from lti_tool.lti.products.tool_config import ToolUrls
from lti_tool.lti.protocol import claims as c
from lti_tool.lti.protocol.keys import new_key_pair
from lti_tool.lti.protocol.views import DEVELOPMENT_PLATFORM
from lti_tool.models import Registration

CLIENT_ID = "dev-lms-tool"
DEPLOYMENT_ID = "dev-deployment"
PATH = "/dev/lms"
FAMILY_CODE = "dev-lms"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
COURSE = {
    "id": "dev-course-101",
    "label": "DEV 101",
    "title": "Introduction to Algebra",
    "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
}
RESOURCE_LINK = {"id": "dev-resource-link-1", "title": "Book a tutor"}


@dataclass(frozen=True)
class MockPerson:
    key: str
    given_name: str
    family_name: str
    roles: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def email(self) -> str:
        return f"{self.key}@dev-lms.invalid"

    @property
    def role_label(self) -> str:
        return "Instructor" if MEMBERSHIP + "Instructor" in self.roles else "Learner"


PEOPLE: dict[str, MockPerson] = {
    person.key: person
    for person in (
        MockPerson("ada", "Ada", "Lovelace", (MEMBERSHIP + "Learner",)),
        MockPerson("ben", "Ben", "Okafor", (MEMBERSHIP + "Learner",)),
        MockPerson("ivan", "Ivan", "Petrov", (MEMBERSHIP + "Instructor",)),
    )
}


def issuer_for(origin: str) -> str:
    return origin.rstrip("/") + PATH


def ensure_registration(origin: str) -> Registration:
    """The development platform seen at *origin*, registered on first use."""
    issuer = issuer_for(origin)
    registration = find_registration(issuer, CLIENT_ID)
    if registration is not None:
        return registration
    pem, _public, kid = new_key_pair()
    return add_platform(
        lms="generic",
        issuer=issuer,
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
        auth_login_url=f"{issuer}/auth",
        auth_token_url=f"{issuer}/token",
        key_set_url=f"{issuer}/jwks.json",
        settings={DEVELOPMENT_PLATFORM: True, "kid": kid},
        platform_private_key_pem=pem,
    )


def is_development_platform(registration: Registration | None) -> bool:
    return registration is not None and bool(
        (registration.settings or {}).get(DEVELOPMENT_PLATFORM)
    )


def _private_key_pem(registration: Registration) -> str:
    pem = registration.platform_private_key_pem
    if pem is None:
        raise ValueError(f"{registration.issuer} holds no signing key of its own")
    return pem


def key_set(registration: Registration) -> dict[str, list[dict[str, t.Any]]]:
    settings = registration.settings or {}
    private_key = serialization.load_pem_private_key(
        _private_key_pem(registration).encode("ascii"), password=None
    )
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError(f"{registration.issuer} holds a signing key that is not RSA")
    public = jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    public.update({"kid": settings["kid"], "alg": "RS256", "use": "sig"})
    return {"keys": [public]}


def resolve_key_set(url: str) -> dict[str, list[dict[str, t.Any]]] | None:
    """Serve the key set of a development platform without an HTTP round trip."""
    if not url.endswith(PATH + "/jwks.json"):
        return None
    registration = find_registration(url[: -len("/jwks.json")], CLIENT_ID)
    if registration is None or not is_development_platform(registration):
        return None
    return key_set(registration)


def id_token(
    registration: Registration,
    urls: ToolUrls,
    *,
    person: MockPerson,
    nonce: str,
    subject: str = "",
) -> str:
    """A resource link launch for *person*, signed with the platform's key."""
    now = int(time.time())
    settings = registration.settings or {}
    claims: dict[str, t.Any] = {
        "iss": registration.issuer,
        "aud": registration.client_id,
        "azp": registration.client_id,
        "sub": f"dev-{person.key}",
        "nonce": nonce,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(12),
        "name": person.name,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "email": person.email,
        c.VERSION: "1.3.0",
        c.MESSAGE_TYPE: "LtiResourceLinkRequest",
        c.DEPLOYMENT_ID: DEPLOYMENT_ID,
        c.TARGET_LINK_URI: urls.target_link,
        c.RESOURCE_LINK: RESOURCE_LINK,
        c.ROLES: list(person.roles),
        c.CONTEXT: COURSE,
        c.TOOL_PLATFORM: {
            "guid": registration.issuer,
            "name": "Development LMS",
            "product_family_code": FAMILY_CODE,
        },
        c.LAUNCH_PRESENTATION: {"document_target": "iframe", "return_url": registration.issuer},
    }
    if subject:
        claims[c.CUSTOM] = {"subject": subject}
    return jwt.encode(
        claims,
        _private_key_pem(registration),
        algorithm="RS256",
        headers={"kid": settings["kid"]},
    )
