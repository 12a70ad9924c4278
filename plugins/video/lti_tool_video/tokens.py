"""Room tokens and TURN credentials.

A room token is what the page presents when its socket connects: it names the person and the
booking and carries its own expiry, signed with the application's secret key. The media
worker gets a token of a different kind (a different salt), so neither can pass for the other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import typing as t
from dataclasses import dataclass

from itsdangerous import BadSignature
from itsdangerous import URLSafeSerializer

PERSON_SALT = "lti-tool-video-room"
WORKER_SALT = "lti-tool-video-worker"


class TokenRefused(Exception):
    """The token is forged, expired or not for this room; the message says which."""


@dataclass(frozen=True)
class RoomPass:
    booking_id: int
    user_id: int | None
    """None for the media worker."""
    expires_at: int

    @property
    def is_worker(self) -> bool:
        return self.user_id is None


def _serializer(secret: str, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=salt)


def issue(secret: str, booking_id: int, user_id: int, ttl_s: int, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + ttl_s)
    return str(
        _serializer(secret, PERSON_SALT).dumps({"b": booking_id, "u": user_id, "e": expires})
    )


def issue_worker(secret: str, booking_id: int, ttl_s: int, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + ttl_s)
    return str(_serializer(secret, WORKER_SALT).dumps({"b": booking_id, "e": expires}))


def _load(secret: str, salt: str, token: str) -> dict[str, t.Any] | None:
    try:
        payload = _serializer(secret, salt).loads(token)
    except BadSignature:
        return None
    return payload if isinstance(payload, dict) else None


def verify(secret: str, token: t.Any, now: float | None = None) -> RoomPass:
    """Read a person's or the worker's token.

    :raises TokenRefused: with the reason.
    """
    if not isinstance(token, str) or not token:
        raise TokenRefused("no room token")
    payload = _load(secret, PERSON_SALT, token)
    worker = payload is None
    if worker:
        payload = _load(secret, WORKER_SALT, token)
    if payload is None:
        raise TokenRefused("room token is not valid")
    try:
        booking_id = int(payload["b"])
        expires = int(payload["e"])
        user_id = None if worker else int(payload["u"])
    except (KeyError, TypeError, ValueError):
        raise TokenRefused("room token is not valid") from None
    if expires < (time.time() if now is None else now):
        raise TokenRefused("room token expired")
    return RoomPass(booking_id=booking_id, user_id=user_id, expires_at=expires)


def turn_credential(
    secret: str, user_id: int, ttl_s: int, now: float | None = None
) -> dict[str, str]:
    """A time-limited TURN login in the form coturn's ``use-auth-secret`` accepts.

    The username is ``<expiry unix time>:<user id>`` and the password is the base64 of the
    HMAC-SHA1 of that username under the shared secret, so coturn can check it without a
    database of users.
    """
    expires = int((time.time() if now is None else now) + ttl_s)
    username = f"{expires}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return {"username": username, "credential": base64.b64encode(digest).decode()}
