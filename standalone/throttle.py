"""The login rate limit: failed attempts per account and per client address.

Failures are counted in a sliding window, in Redis when ``redis_url`` is set and in the
``login_attempts`` table otherwise; both are shared by every process of the site. An unknown
e-mail address is counted exactly like a known one, so the limit itself gives nothing away.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import typing as t

import sqlalchemy as sa
from flask import current_app

from lti_tool.booking import current_time
from lti_tool.database import write_transaction
from lti_tool.models import db
from standalone.models import LoginAttempt

WINDOW = dt.timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
"""Higher than the account limit: many people may share one address behind a NAT."""
REDIS_PREFIX = "lti_tool:login-failures:"


class Key(t.NamedTuple):
    digest: str
    limit: int


def keys_for(email: str, address: str | None) -> list[Key]:
    secret = current_app.secret_key
    assert isinstance(secret, str | bytes)
    secret_bytes = secret.encode() if isinstance(secret, str) else secret

    def digest(text: str) -> str:
        return hmac.new(secret_bytes, text.encode(), hashlib.sha256).hexdigest()

    keys = [Key(digest(f"account:{email.strip().lower()}"), ACCOUNT_LIMIT)]
    if address:
        keys.append(Key(digest(f"ip:{address}"), ADDRESS_LIMIT))
    return keys


class _TableStore:
    def count(self, digest: str, since: dt.datetime) -> int:
        query = sa.select(sa.func.count()).where(
            LoginAttempt.key_digest == digest, LoginAttempt.at > since
        )
        return int(db.session.scalar(query) or 0)

    def add(self, digests: list[str], now: dt.datetime) -> None:
        with write_transaction(db.session()) as session:
            session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at <= now - WINDOW))
            session.add_all(LoginAttempt(key_digest=digest, at=now) for digest in digests)

    def clear(self, digest: str) -> None:
        with write_transaction(db.session()) as session:
            session.execute(sa.delete(LoginAttempt).where(LoginAttempt.key_digest == digest))


class _RedisStore:
    """One sorted set per key, scored by the attempt's time, trimmed to the window."""

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5)

    def count(self, digest: str, since: dt.datetime) -> int:
        key = REDIS_PREFIX + digest
        return int(self.redis.zcount(key, f"({since.timestamp()}", "+inf"))

    def add(self, digests: list[str], now: dt.datetime) -> None:
        pipe = self.redis.pipeline()
        for digest in digests:
            key = REDIS_PREFIX + digest
            pipe.zremrangebyscore(key, "-inf", (now - WINDOW).timestamp())
            pipe.zadd(key, {f"{now.timestamp()}:{secrets.token_hex(4)}": now.timestamp()})
            pipe.expire(key, int(WINDOW.total_seconds()) + 60)
        pipe.execute()

    def clear(self, digest: str) -> None:
        self.redis.delete(REDIS_PREFIX + digest)


def _store() -> _TableStore | _RedisStore:
    url = current_app.config.get("REDIS_URL") or ""
    if not url:
        return _TableStore()
    stores = current_app.extensions.setdefault("standalone.throttle", {})
    if url not in stores:
        stores[url] = _RedisStore(url)
    return t.cast(_RedisStore, stores[url])


def blocked(keys: list[Key]) -> bool:
    """Whether any key has used up its failures in the current window."""
    store = _store()
    since = current_time() - WINDOW
    return any(store.count(key.digest, since) >= key.limit for key in keys)


def record_failure(keys: list[Key]) -> None:
    _store().add([key.digest for key in keys], current_time())


def forget_account(keys: list[Key]) -> None:
    """After a successful sign-in the account starts afresh; the address keeps its count."""
    _store().clear(keys[0].digest)
