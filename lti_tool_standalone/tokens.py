"""Signed, expiring links for confirming an e-mail address and for resetting a password.

Both are signed with the application's secret key and dated by the application's clock
(``app.config["CLOCK"]``), so tests move time instead of sleeping. A reset link also carries a
fingerprint of the password hash it was issued against: once the password changes, every
earlier link stops working, including the one just used.
"""

from __future__ import annotations

import hashlib
import hmac
import typing as t

from flask import current_app
from itsdangerous import BadData
from itsdangerous import TimestampSigner
from itsdangerous import URLSafeTimedSerializer

from lti_tool.api import User
from lti_tool.api import current_time
from lti_tool.api import db

VERIFY_SALT = "standalone.verify-email"
RESET_SALT = "standalone.reset-password"
VERIFY_MAX_AGE = 3 * 24 * 3600
RESET_MAX_AGE = 3600


class _AppClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(current_time().timestamp())


def _serializer(salt: str) -> URLSafeTimedSerializer:
    secret = current_app.secret_key
    assert secret, "create_app always sets a secret key"
    return URLSafeTimedSerializer(secret, salt=salt, signer=_AppClockSigner)


def _password_fingerprint(user: User) -> str:
    # The payload of a signed token is readable by whoever holds it, so it holds a digest of
    # the hash, never the hash.
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:24]


def _load(salt: str, token: str, max_age: int) -> dict[str, t.Any] | None:
    try:
        payload = _serializer(salt).loads(token, max_age=max_age)
    except BadData:
        return None
    return payload if isinstance(payload, dict) else None


def verification_token(user: User) -> str:
    return str(_serializer(VERIFY_SALT).dumps({"uid": user.id, "email": user.email}))


def user_for_verification(token: str) -> User | None:
    """The person a confirmation link was sent to, while the link is valid and their address
    is still the one it was sent to."""
    payload = _load(VERIFY_SALT, token, VERIFY_MAX_AGE)
    if payload is None or not isinstance(payload.get("uid"), int):
        return None
    user = db.session.get(User, payload["uid"])
    if user is None or not user.is_active or user.email != payload.get("email"):
        return None
    return user


def reset_token(user: User) -> str:
    payload = {"uid": user.id, "pw": _password_fingerprint(user)}
    return str(_serializer(RESET_SALT).dumps(payload))


def user_for_reset(token: str) -> User | None:
    """The person a reset link was issued to, while it is unexpired and unused."""
    payload = _load(RESET_SALT, token, RESET_MAX_AGE)
    if payload is None or not isinstance(payload.get("uid"), int):
        return None
    user = db.session.get(User, payload["uid"])
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(str(payload.get("pw", "")), _password_fingerprint(user)):
        return None
    return user
