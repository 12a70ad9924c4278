"""Registering LMS platforms and their deployments with the tool.

Every function checks all of its input before writing, so a refused call leaves the database
as it was.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa

from lti_tool.database import write_transaction
from lti_tool.lti.products.product import ENDPOINT_NAMES
from lti_tool.lti.products.product import Product
from lti_tool.lti.products.registry import products
from lti_tool.models import Booking
from lti_tool.models import Course
from lti_tool.models import Deployment
from lti_tool.models import Registration
from lti_tool.models import db

ENDPOINT_LABELS: t.Mapping[str, str] = {
    "auth_login_url": "--auth-login-url (the platform's OIDC authorization endpoint)",
    "auth_token_url": "--auth-token-url (the platform's OAuth 2 token endpoint)",
    "key_set_url": "--key-set-url (the platform's public JWKS)",
}


class PlatformError(ValueError):
    """The platform or deployment cannot be registered (or found) as asked; nothing changed."""


@dataclass(frozen=True)
class RemovedPlatform:
    issuer: str
    client_id: str
    deployments: int
    courses: int


def product_named(family: str) -> type[Product]:
    try:
        return products().get(family)
    except KeyError as exc:
        raise PlatformError(str(exc.args[0])) from None


def check_url(value: str, label: str) -> str:
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise PlatformError(f"{label}: expected an http:// or https:// URL, got {value!r}")
    return text


def _required_text(value: str | None, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise PlatformError(f"{label} is required")
    if len(text) > 255:
        raise PlatformError(f"{label} is longer than 255 characters")
    return text


def find_registration(issuer: str, client_id: str | None = None) -> Registration | None:
    """The registration of *issuer*; without a client id only when the issuer has just one."""
    query = sa.select(Registration).where(Registration.issuer == issuer)
    if client_id:
        return db.session.scalar(query.where(Registration.client_id == client_id))
    found = db.session.scalars(query.limit(2)).all()
    return found[0] if len(found) == 1 else None


def find_deployment(registration: Registration, deployment_id: str) -> Deployment | None:
    return db.session.scalar(
        sa.select(Deployment).where(
            Deployment.registration_id == registration.id,
            Deployment.deployment_id == deployment_id,
        )
    )


def add_platform(
    *,
    lms: str,
    issuer: str,
    client_id: str,
    deployment_id: str,
    auth_login_url: str | None = None,
    auth_token_url: str | None = None,
    key_set_url: str | None = None,
    auth_audience: str | None = None,
    institution_paid: bool = False,
    settings: dict[str, t.Any] | None = None,
    platform_private_key_pem: str | None = None,
) -> Registration:
    """Register a platform and its first deployment.

    Endpoints not given are filled by the LMS product from the issuer; a product that cannot
    derive one (the generic platform derives none) makes it required.
    *platform_private_key_pem* is only for the development platform, which signs its own
    launches.
    """
    product = product_named(lms)
    # The issuer is kept exactly as given: id_tokens are matched on it character by character.
    issuer = check_url(_required_text(issuer, "--issuer"), "--issuer")
    client_id = _required_text(client_id, "--client-id")
    deployment_id = _required_text(deployment_id, "--deployment-id")
    derived = product.endpoints_for(issuer, client_id)
    given = {
        "auth_login_url": auth_login_url,
        "auth_token_url": auth_token_url,
        "key_set_url": key_set_url,
    }
    endpoints: dict[str, str] = {}
    missing = []
    for name in ENDPOINT_NAMES:
        value = (given[name] or "").strip() or derived.get(name, "")
        if not value:
            missing.append(ENDPOINT_LABELS[name])
            continue
        endpoints[name] = check_url(value, "--" + name.replace("_", "-"))
    if missing:
        raise PlatformError(
            f"{product.display_name} endpoints cannot be derived from the issuer; give "
            + ", ".join(missing)
        )
    audience = (auth_audience or "").strip() or derived.get("auth_audience") or None
    if find_registration(issuer, client_id) is not None:
        raise PlatformError(
            f"{issuer} with client id {client_id} is already registered; "
            "add deployments with `lti-tool deployment add`"
        )
    with write_transaction() as session:
        registration = Registration(
            lms=product.family,
            issuer=issuer,
            client_id=client_id,
            auth_audience=audience,
            settings=dict(settings or {}),
            platform_private_key_pem=platform_private_key_pem,
            **endpoints,
        )
        registration.deployments.append(
            Deployment(deployment_id=deployment_id, institution_paid=institution_paid)
        )
        session.add(registration)
    return registration


def add_deployment(
    *, issuer: str, client_id: str, deployment_id: str, institution_paid: bool = False
) -> Deployment:
    registration = find_registration(issuer.strip(), client_id.strip())
    if registration is None:
        raise PlatformError(f"no platform {issuer} with client id {client_id} is registered")
    deployment_id = _required_text(deployment_id, "--deployment-id")
    if find_deployment(registration, deployment_id) is not None:
        raise PlatformError(f"deployment {deployment_id} is already registered for {issuer}")
    with write_transaction() as session:
        deployment = Deployment(
            registration_id=registration.id,
            deployment_id=deployment_id,
            institution_paid=institution_paid,
        )
        session.add(deployment)
    return deployment


def list_platforms() -> list[Registration]:
    return list(
        db.session.scalars(
            sa.select(Registration).order_by(Registration.issuer, Registration.client_id)
        )
    )


def course_count(registration: Registration) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Course)
            .join(Deployment, Course.deployment_id == Deployment.id)
            .where(Deployment.registration_id == registration.id)
        )
        or 0
    )


def remove_platform(*, issuer: str, client_id: str) -> RemovedPlatform:
    """Remove a registration, its deployments and (through the foreign keys) their courses."""
    registration = find_registration(issuer.strip(), client_id.strip())
    if registration is None:
        raise PlatformError(f"no platform {issuer} with client id {client_id} is registered")
    platform_courses = sa.select(Course.id).where(
        Course.deployment_id.in_(
            sa.select(Deployment.id).where(Deployment.registration_id == registration.id)
        )
    )
    booked = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(Booking.course_id.in_(platform_courses))
    )
    if booked:
        # Bookings keep their course for gradebook passback and history; removing it under
        # them would lose where the credit belongs.
        raise PlatformError(
            f"{booked} bookings were made from courses of {issuer}; the platform stays registered"
        )
    removed = RemovedPlatform(
        issuer=registration.issuer,
        client_id=registration.client_id,
        deployments=len(registration.deployments),
        courses=course_count(registration),
    )
    with write_transaction() as session:
        session.execute(sa.delete(Course).where(Course.id.in_(platform_courses)))
        session.delete(registration)
    return removed
