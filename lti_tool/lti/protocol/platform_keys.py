"""Platforms' public keys, fetched from their JWKS URLs and cached per process.

A key id the cache does not know makes one fresh fetch (platforms rotate keys), but not more
often than ``min_refetch_seconds`` per URL, so tokens with made-up key ids cannot turn the
tool into a request amplifier.
"""

from __future__ import annotations

import threading
import time
import typing as t
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

import jwt
from flask import Flask
from flask import current_app

from lti_tool import outbound

EXTENSION = "lti_tool.platform_keys"
FETCH_TIMEOUT_SECONDS = 5


class KeySetError(Exception):
    """The platform's key set could not be fetched, read, or has no usable key for the token."""


@dataclass
class _Entry:
    fetched_at: float
    keys: dict[str, t.Any] = field(default_factory=dict)


class PlatformKeyCache:
    """Verification keys by JWKS URL and key id."""

    def __init__(self, ttl_seconds: float = 3600.0, min_refetch_seconds: float = 10.0) -> None:
        self.ttl_seconds = ttl_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        #: Resolvers for key sets this very process serves (the development platform), read
        #: without HTTP so a single-threaded server never waits for itself. Each returns the
        #: key set for a URL it knows, or None.
        self.local: list[Callable[[str], t.Any]] = []
        self.fetches = 0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def key(self, url: str, kid: str) -> t.Any:
        """The public key *kid* of the key set at *url*."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(url)
        if entry is None or now - entry.fetched_at > self.ttl_seconds:
            entry = self._refresh(url)
        elif kid not in entry.keys and now - entry.fetched_at >= self.min_refetch_seconds:
            entry = self._refresh(url)
        try:
            return entry.keys[kid]
        except KeyError:
            raise KeySetError(
                f"the platform's key set ({url}) has no key with kid {kid!r}"
            ) from None

    def _refresh(self, url: str) -> _Entry:
        document = self._download(url)
        entry = _Entry(fetched_at=time.monotonic(), keys=_usable_keys(document, url))
        with self._lock:
            self._entries[url] = entry
        return entry

    def _download(self, url: str) -> t.Any:
        self.fetches += 1
        for resolve in self.local:
            document = resolve(url)
            if document is not None:
                return document
        try:
            response = outbound.fetch(
                "GET", url, timeout=FETCH_TIMEOUT_SECONDS, headers={"Accept": "application/json"}
            )
        except outbound.OutboundError as exc:
            raise KeySetError(f"could not fetch the platform's key set from {url}: {exc}") from None
        if response.status_code != 200:
            raise KeySetError(
                f"the platform's key set at {url} answered HTTP status {response.status_code}"
            )
        try:
            return response.json()
        except ValueError:
            raise KeySetError(f"the platform's key set at {url} is not JSON") from None


def _usable_keys(document: t.Any, url: str) -> dict[str, t.Any]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeySetError(f"the platform's key set at {url} has no 'keys' list")
    usable: dict[str, t.Any] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        # Only RSA signing keys can verify RS256, the one algorithm LTI allows.
        if jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256":
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        try:
            usable[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="RS256").key
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue
    return usable


def init_app(app: Flask) -> PlatformKeyCache:
    cache = app.extensions.get(EXTENSION)
    if not isinstance(cache, PlatformKeyCache):
        cache = PlatformKeyCache()
        app.extensions[EXTENSION] = cache
    return cache


def key_cache() -> PlatformKeyCache:
    return init_app(current_app)
