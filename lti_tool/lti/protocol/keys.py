"""The tool's signing keys: one active key, older keys still published while platforms catch up.

Platforms cache the tool's JWKS, so a rotated-out key stays published until ``retire_at``;
messages signed just before a rotation keep verifying during that grace period.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import typing as t

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from lti_tool.database import write_transaction
from lti_tool.models import ToolKey
from lti_tool.models import db
from lti_tool.models import utcnow

ALGORITHM = "RS256"
KEY_SIZE = 2048
DEFAULT_GRACE = dt.timedelta(hours=72)


def new_key_pair() -> tuple[str, dict[str, t.Any], str]:
    """A fresh RSA key: (private PEM, public JWK without kid, kid)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public_jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    return pem, public_jwk, secrets.token_urlsafe(16)


def _create_key() -> ToolKey:
    pem, public_jwk, kid = new_key_pair()
    public_jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    key = ToolKey(kid=kid, private_key_pem=pem, public_jwk=public_jwk, active=True)
    db.session.add(key)
    return key


def _current() -> ToolKey | None:
    # Two processes creating the first key at once may both succeed; the newest one wins and
    # both stay published, so either signature verifies.
    return db.session.scalar(
        sa.select(ToolKey)
        .where(ToolKey.active.is_(True), ToolKey.retire_at.is_(None))
        .order_by(ToolKey.id.desc())
        .limit(1)
    )


def active_key() -> ToolKey:
    """The key new messages are signed with, created on first use."""
    key = _current()
    if key is not None:
        return key
    with write_transaction():
        key = _current() or _create_key()
    return key


def rotate(grace: dt.timedelta = DEFAULT_GRACE, now: dt.datetime | None = None) -> ToolKey:
    """Make a new key active; the previous ones stay published until ``now + grace``."""
    if grace < dt.timedelta(0):
        raise ValueError("the grace period cannot be negative")
    now = now or utcnow()
    with write_transaction() as session:
        for old in session.scalars(sa.select(ToolKey).where(ToolKey.active.is_(True))):
            old.active = False
            old.retire_at = now + grace
        key = _create_key()
    return key


def retire_expired(now: dt.datetime | None = None) -> int:
    """Delete keys whose grace period is over; returns how many were deleted."""
    now = now or utcnow()
    with write_transaction() as session:
        result = session.execute(
            sa.delete(ToolKey).where(ToolKey.retire_at.is_not(None), ToolKey.retire_at <= now)
        )
    return int(getattr(result, "rowcount", 0) or 0)


def published_keys(now: dt.datetime | None = None) -> list[ToolKey]:
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(ToolKey)
            .where(sa.or_(ToolKey.retire_at.is_(None), ToolKey.retire_at > now))
            .order_by(ToolKey.id)
        )
    )


def all_keys() -> list[ToolKey]:
    return list(db.session.scalars(sa.select(ToolKey).order_by(ToolKey.id)))


def jwks(now: dt.datetime | None = None) -> dict[str, list[dict[str, t.Any]]]:
    """The public keys platforms verify the tool's messages with."""
    active_key()
    return {"keys": [dict(key.public_jwk) for key in published_keys(now)]}


def sign(claims: dict[str, t.Any], headers: dict[str, t.Any] | None = None) -> str:
    """Sign *claims* as a JWT with the active key (its ``kid`` in the header)."""
    key = active_key()
    return jwt.encode(
        claims,
        key.private_key_pem,
        algorithm=ALGORITHM,
        headers={**(headers or {}), "kid": key.kid},
    )
