"""Validation of a platform's id_token against the login that asked for it.

Checks, in order: the token is a JWT signed with RS256 and names a key; it comes from the
platform the login was for; its signature verifies with that platform's published key; the
audience holds the tool's client id (and ``azp`` names it when there are several); ``exp`` and
``iat`` are within :data:`CLOCK_LEEWAY`; the nonce is the login's; the LTI claims a launch
needs are present; the deployment is registered. Single use of the nonce is enforced where
the launch is written (:mod:`lti_tool.lti.protocol.provision`), by a unique constraint.
"""

from __future__ import annotations

import datetime as dt
import hmac
import typing as t
from dataclasses import dataclass

import jwt
import sqlalchemy as sa

from lti_tool.lti.platforms.registrations import find_deployment
from lti_tool.lti.protocol import claims as c
from lti_tool.lti.protocol.launch import DEEP_LINKING_REQUEST
from lti_tool.lti.protocol.launch import MESSAGE_TYPES
from lti_tool.lti.protocol.launch import RESOURCE_LINK_REQUEST
from lti_tool.lti.protocol.platform_keys import KeySetError
from lti_tool.lti.protocol.platform_keys import key_cache
from lti_tool.lti.protocol.state import LoginState
from lti_tool.models import Deployment
from lti_tool.models import Registration
from lti_tool.models import db

ALGORITHM = "RS256"
LTI_VERSION = "1.3.0"
#: Seconds of clock difference tolerated between platform and tool.
CLOCK_LEEWAY = 60
MAX_TOKEN_LENGTH = 200_000


class LaunchError(Exception):
    """A launch is refused; ``reason`` says why in words an LMS administrator can act on."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class ValidatedToken:
    claims: dict[str, t.Any]
    registration: Registration
    deployment: Deployment
    expires_at: dt.datetime


def _unverified(id_token: str) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
    """Header and payload, read before any check only to find the platform and its key."""
    if not id_token:
        raise LaunchError("the launch has no id_token")
    if len(id_token) > MAX_TOKEN_LENGTH:
        raise LaunchError("the id_token is too large to be a launch")
    try:
        header = jwt.get_unverified_header(id_token)
        payload = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise LaunchError("the id_token is not a JWT") from None
    return header, payload


def _registration_for(issuer: t.Any, login: LoginState) -> Registration:
    registration = db.session.get(Registration, login.registration_id)
    if registration is None or (registration.issuer, registration.client_id) != (
        login.issuer,
        login.client_id,
    ):
        raise LaunchError("the platform registration was removed or changed during the login")
    if issuer != registration.issuer:
        known = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Registration)
            .where(Registration.issuer == (issuer if isinstance(issuer, str) else ""))
        )
        if not known:
            raise LaunchError(f"the id_token issuer {issuer!r} is not a registered platform")
        raise LaunchError(
            f"the id_token issuer {issuer!r} is not the platform the login was for "
            f"({registration.issuer})"
        )
    return registration


def _verify(id_token: str, key: t.Any, registration: Registration) -> dict[str, t.Any]:
    try:
        return jwt.decode(
            id_token,
            key,
            algorithms=[ALGORITHM],
            audience=registration.client_id,
            issuer=registration.issuer,
            leeway=CLOCK_LEEWAY,
            options={"require": ["iss", "aud", "exp", "iat", "nonce"]},
        )
    except jwt.InvalidSignatureError:
        raise LaunchError(
            "the id_token signature does not verify with the platform's key"
        ) from None
    except jwt.ExpiredSignatureError:
        raise LaunchError("the id_token has expired (exp is in the past)") from None
    except jwt.ImmatureSignatureError:
        raise LaunchError("the id_token was issued in the future (iat is ahead)") from None
    except jwt.InvalidAudienceError:
        raise LaunchError(
            f"the id_token audience does not include this tool's client id "
            f"({registration.client_id})"
        ) from None
    except jwt.MissingRequiredClaimError as exc:
        raise LaunchError(f"the id_token has no {exc.claim} claim") from None
    except jwt.PyJWTError as exc:
        raise LaunchError(f"the id_token is invalid: {exc}") from None


def _check_authorized_party(claims: dict[str, t.Any], client_id: str) -> None:
    audience = claims.get("aud")
    azp = claims.get("azp")
    if isinstance(audience, list) and len(audience) > 1 and azp is None:
        raise LaunchError("the id_token has several audiences but no azp claim")
    if azp is not None and azp != client_id:
        raise LaunchError(f"the id_token azp {azp!r} is not this tool's client id")


def _check_lti_claims(claims: dict[str, t.Any]) -> None:
    version = claims.get(c.VERSION)
    if version is None:
        raise LaunchError(f"the id_token has no LTI version claim ({c.VERSION})")
    if version != LTI_VERSION:
        raise LaunchError(f"LTI version {version!r} is not supported; this tool speaks 1.3.0")
    message_type = claims.get(c.MESSAGE_TYPE)
    if not message_type:
        raise LaunchError(f"the id_token has no message type claim ({c.MESSAGE_TYPE})")
    if message_type not in MESSAGE_TYPES:
        raise LaunchError(f"message type {message_type!r} is not one this tool accepts")
    for name, label in ((c.DEPLOYMENT_ID, "deployment_id"), (c.TARGET_LINK_URI, "target_link_uri")):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise LaunchError(f"the id_token has no {label} claim ({name})")
    if c.ROLES not in claims:
        raise LaunchError(f"the id_token has no roles claim ({c.ROLES})")
    if not isinstance(claims[c.ROLES], list):
        raise LaunchError("the id_token roles claim is not a list")
    if message_type == RESOURCE_LINK_REQUEST:
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise LaunchError("the id_token has no sub claim (the user's id)")
        link = claims.get(c.RESOURCE_LINK)
        if not isinstance(link, dict) or not isinstance(link.get("id"), str) or not link["id"]:
            raise LaunchError(f"the id_token has no resource link id ({c.RESOURCE_LINK})")
    if message_type == DEEP_LINKING_REQUEST:
        settings = claims.get(c.DEEP_LINKING_SETTINGS)
        if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
            raise LaunchError("the deep linking request has no deep_link_return_url")


def validate_id_token(id_token: str, login: LoginState) -> ValidatedToken:
    """Check *id_token* completely; raise :class:`LaunchError` naming the first problem."""
    header, unverified = _unverified(id_token)
    algorithm = header.get("alg")
    if algorithm != ALGORITHM:
        raise LaunchError(f"the id_token is signed with {algorithm!r}; only RS256 is accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise LaunchError("the id_token header has no kid (key id)")
    registration = _registration_for(unverified.get("iss"), login)
    try:
        key = key_cache().key(registration.key_set_url, kid)
    except KeySetError as exc:
        raise LaunchError(str(exc)) from None
    claims = _verify(id_token, key, registration)
    _check_authorized_party(claims, registration.client_id)
    nonce = claims.get("nonce")
    # Compared as bytes: compare_digest refuses non-ASCII text, which a token may carry.
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode(), login.nonce.encode()):
        raise LaunchError("the id_token nonce is not the one this login issued")
    _check_lti_claims(claims)
    deployment_id = claims[c.DEPLOYMENT_ID]
    if login.deployment_id and login.deployment_id != deployment_id:
        raise LaunchError("the id_token deployment_id differs from the one the login named")
    deployment = find_deployment(registration, deployment_id)
    if deployment is None:
        raise LaunchError(
            f"deployment {deployment_id!r} is not registered for {registration.issuer}; "
            "an administrator can add it with `lti-tool deployment add`"
        )
    expires_at = dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)
    return ValidatedToken(
        claims=claims, registration=registration, deployment=deployment, expires_at=expires_at
    )
