"""Access tokens for a platform's services (AGS, NRPS), by the OAuth 2 client credentials grant
with a JWT signed by the tool's active key (1EdTech Security Framework, section 4).

Tokens are cached per process, per registration and set of scopes, until shortly before they
expire. :func:`service_request` adds the token to a call and, when the platform answers 401
(a token it revoked or forgot), fetches a new one and tries once more.
"""

from __future__ import annotations

import secrets
import threading
import time
import typing as t
from collections.abc import Iterable
from dataclasses import dataclass

import requests

from lti_tool import outbound
from lti_tool.lti.protocol import keys
from lti_tool.models import Registration

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_SECONDS = 300
#: A cached token is replaced this long before the platform says it expires.
EXPIRY_MARGIN_SECONDS = 60
TIMEOUT_SECONDS = 10
#: A roster page or a line item list may be far larger than a configuration document.
SERVICE_MAX_BODY_BYTES = 16 * 1024 * 1024


class PlatformServiceError(Exception):
    """The platform refused or failed a token or service request."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class AccessToken:
    token: str
    scopes: frozenset[str]
    expires_at: float
    """``time.monotonic()`` instant after which the token is not used."""


_cache: dict[tuple[int, str, frozenset[str]], AccessToken] = {}
_lock = threading.Lock()


def client_assertion(registration: Registration) -> str:
    """The signed JWT that authenticates the tool at the platform's token endpoint."""
    now = int(time.time())
    return keys.sign(
        {
            "iss": registration.client_id,
            "sub": registration.client_id,
            "aud": registration.auth_audience or registration.auth_token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECONDS,
            "jti": secrets.token_urlsafe(24),
        }
    )


def _request_token(registration: Registration, scopes: frozenset[str]) -> AccessToken:
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": client_assertion(registration),
        "scope": " ".join(sorted(scopes)),
    }
    try:
        response = outbound.fetch(
            "POST",
            registration.auth_token_url,
            data=data,
            headers={"Accept": "application/json"},
            timeout=TIMEOUT_SECONDS,
        )
    except outbound.OutboundError as exc:
        raise PlatformServiceError(
            f"token request to {registration.auth_token_url} failed: {exc}"
        ) from None
    if response.status_code != 200:
        raise PlatformServiceError(
            f"{registration.issuer} refused the token request ({response.status_code})",
            status=response.status_code,
            body=response.text[:2000],
        )
    try:
        payload = response.json()
        token = payload["access_token"]
        lifetime = float(payload.get("expires_in") or 3600)
    except (ValueError, KeyError, TypeError):
        raise PlatformServiceError(
            f"{registration.issuer} answered the token request without an access_token",
            status=response.status_code,
            body=response.text[:2000],
        ) from None
    granted = payload.get("scope")
    granted_scopes = frozenset(granted.split()) if isinstance(granted, str) else scopes
    return AccessToken(
        token=str(token),
        scopes=granted_scopes,
        expires_at=time.monotonic() + max(lifetime - EXPIRY_MARGIN_SECONDS, 0),
    )


def access_token(registration: Registration, scopes: Iterable[str], *, fresh: bool = False) -> str:
    """A bearer token for *scopes* at *registration*'s platform, from the cache when valid."""
    wanted = frozenset(scopes)
    if not wanted:
        raise ValueError("ask for at least one scope")
    cache_key = (registration.id, registration.auth_token_url, wanted)
    with _lock:
        cached = _cache.get(cache_key)
    if cached is not None and not fresh and cached.expires_at > time.monotonic():
        return cached.token
    issued = _request_token(registration, wanted)
    with _lock:
        _cache[cache_key] = issued
    return issued.token


def forget_tokens(registration: Registration | None = None) -> None:
    with _lock:
        for cache_key in list(_cache):
            if registration is None or cache_key[0] == registration.id:
                del _cache[cache_key]


def service_request(
    registration: Registration,
    scopes: Iterable[str],
    method: str,
    url: str,
    **kwargs: t.Any,
) -> requests.Response:
    """Call a platform service with a bearer token; on 401 retry once with a fresh token."""
    wanted = frozenset(scopes)
    headers = dict(kwargs.pop("headers", None) or {})
    kwargs.setdefault("timeout", TIMEOUT_SECONDS)
    kwargs.setdefault("max_bytes", SERVICE_MAX_BODY_BYTES)
    response: requests.Response | None = None
    for fresh in (False, True):
        headers["Authorization"] = f"Bearer {access_token(registration, wanted, fresh=fresh)}"
        try:
            response = outbound.fetch(method, url, headers=headers, **kwargs)
        except outbound.OutboundError as exc:
            raise PlatformServiceError(f"{method} {url} failed: {exc}") from None
        if response.status_code != 401:
            return response
    assert response is not None
    return response
