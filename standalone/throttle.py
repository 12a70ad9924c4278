"""Rate limits of the public site: sign-in attempts and account e-mails.

Every attempt is counted before it is judged, in one atomic step: in Redis when ``redis_url``
is set (a MULTI transaction on one sorted set per key) and in the ``login_attempts`` table
otherwise (insert, then count, while holding that key's lock). However many requests arrive at
once, each one sees its own place in the queue, so no more than the limit are ever evaluated.

Sign-in attempts are counted three ways. One client address guessing one account is stopped
after a few tries; one address trying many accounts after more (people share addresses behind
a NAT). The account itself is never locked: once many addresses have failed on it, an address
that already failed there waits ever longer between tries, while an address that has not
failed is always heard, so the owner can still sign in while someone else hammers the account.
An unknown e-mail address is counted exactly like a known one, so the limit gives nothing away.
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
from lti_tool.redis_health import guarded
from standalone.models import LoginAttempt

WINDOW = dt.timedelta(minutes=15)
PAIR_LIMIT = 5
"""Failed tries one client address gets at one account in the window."""
ADDRESS_LIMIT = 20
"""Higher than the pair limit: many people may share one address behind a NAT."""
ACCOUNT_SLOWDOWN_AFTER = 10
"""Tries at one account, from all addresses, after which addresses that failed there wait."""
LONGEST_DELAY = int(WINDOW.total_seconds())
MAIL_WINDOW = dt.timedelta(hours=1)
PURPOSE = "sign-in and mail limits"
REDIS_PREFIX = "lti_tool:login-failures:"


class Key(t.NamedTuple):
    digest: str
    window: dt.timedelta


class Attempt(t.NamedTuple):
    """One counted sign-in try: its keys, its place in each key's window, and the answer."""

    pair: Key
    account: Key
    address: Key | None
    receipts: list[tuple[str, str]]
    retry_after: int
    """Seconds the client must wait; 0 when the password may be checked."""


def _digest(text: str) -> str:
    secret = current_app.secret_key
    assert isinstance(secret, str | bytes)
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret_bytes, text.encode(), hashlib.sha256).hexdigest()


def _email_part(email: str) -> str:
    return email.strip().lower()


class _TableStore:
    def take(self, keys: list[Key], now: dt.datetime) -> tuple[list[int], list[tuple[str, str]]]:
        digests = sorted({key.digest for key in keys})
        with write_transaction(db.session()) as session:
            if session.get_bind().dialect.name == "postgresql":
                # SQLite serialises writers when the transaction starts; PostgreSQL needs a
                # lock per key, taken in a fixed order so two requests cannot deadlock.
                for digest in digests:
                    session.execute(
                        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:digest, 0))"),
                        {"digest": digest},
                    )
            oldest = now - max(WINDOW, MAIL_WINDOW)
            session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at <= oldest))
            rows = [LoginAttempt(key_digest=key.digest, at=now) for key in keys]
            session.add_all(rows)
            session.flush()
            counts = [
                int(
                    session.scalar(
                        sa.select(sa.func.count()).where(
                            LoginAttempt.key_digest == key.digest,
                            LoginAttempt.at > now - key.window,
                        )
                    )
                    or 0
                )
                for key in keys
            ]
            receipts = [(row.key_digest, str(row.id)) for row in rows]
        return counts, receipts

    def drop(self, receipts: list[tuple[str, str]]) -> None:
        ids = [int(row_id) for _, row_id in receipts]
        with write_transaction(db.session()) as session:
            session.execute(sa.delete(LoginAttempt).where(LoginAttempt.id.in_(ids)))

    def clear(self, digests: list[str], *, table: bool = True) -> None:
        # *table* is for the Redis store's sake: this store has nowhere else to clear.
        with write_transaction(db.session()) as session:
            session.execute(sa.delete(LoginAttempt).where(LoginAttempt.key_digest.in_(digests)))


class _RedisStore:
    """One sorted set per key, scored by the attempt's time, trimmed to the key's window.

    While Redis is away the counting goes on in the database (:class:`_TableStore`), so
    signing in keeps working and keeps being limited; receipts say which store holds a try.
    """

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)

    def take(self, keys: list[Key], now: dt.datetime) -> tuple[list[int], list[tuple[str, str]]]:
        return guarded(
            lambda: self._take(keys, now), lambda: _TableStore().take(keys, now), PURPOSE
        )

    def _take(self, keys: list[Key], now: dt.datetime) -> tuple[list[int], list[tuple[str, str]]]:
        pipe = self.redis.pipeline(transaction=True)
        receipts = []
        for key in keys:
            name = REDIS_PREFIX + key.digest
            member = f"{now.timestamp()}:{secrets.token_hex(8)}"
            receipts.append((key.digest, member))
            pipe.zremrangebyscore(name, "-inf", (now - key.window).timestamp())
            pipe.zadd(name, {member: now.timestamp()})
            pipe.zcount(name, f"({(now - key.window).timestamp()}", "+inf")
            pipe.expire(name, int(key.window.total_seconds()) + 60)
        results = pipe.execute()
        return [int(results[4 * index + 2]) for index in range(len(keys))], receipts

    def drop(self, receipts: list[tuple[str, str]]) -> None:
        in_table = [receipt for receipt in receipts if _counted_in_table(receipt)]
        in_redis = [receipt for receipt in receipts if not _counted_in_table(receipt)]
        if in_table:
            _TableStore().drop(in_table)
        if in_redis:
            guarded(lambda: self._drop(in_redis), lambda: None, PURPOSE)

    def _drop(self, receipts: list[tuple[str, str]]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        for digest, member in receipts:
            pipe.zrem(REDIS_PREFIX + digest, member)
        pipe.execute()

    def clear(self, digests: list[str], *, table: bool = True) -> None:
        # Tries counted while Redis was away live in the table; *table* False skips it.
        if table:
            _TableStore().clear(digests)
        guarded(
            lambda: self.redis.delete(*(REDIS_PREFIX + digest for digest in digests)),
            lambda: 0,
            PURPOSE,
        )


def _counted_in_table(receipt: tuple[str, str]) -> bool:
    """Whether a try was counted in the table: a row's receipt is its id, while a Redis
    member is "<time>:<random>"."""
    return receipt[1].isdigit()


def _store() -> _TableStore | _RedisStore:
    url = current_app.config.get("REDIS_URL") or ""
    if not url:
        return _TableStore()
    stores = current_app.extensions.setdefault("standalone.throttle", {})
    if url not in stores:
        stores[url] = _RedisStore(url)
    return t.cast(_RedisStore, stores[url])


def login_keys(email: str, address: str | None) -> tuple[Key, Key, Key | None]:
    """The keys one sign-in try from *address* at *email* is counted under."""
    account = _email_part(email)
    pair = Key(_digest(f"pair:{address or ''}:{account}"), WINDOW)
    return (
        pair,
        Key(_digest(f"account:{account}"), WINDOW),
        Key(_digest(f"ip:{address}"), WINDOW) if address else None,
    )


def account_delay(account_count: int) -> int:
    """Seconds an address that already failed at an account waits, doubling with every try."""
    over = account_count - ACCOUNT_SLOWDOWN_AFTER
    if over <= 0:
        return 0
    return min(2 ** min(over, 20), LONGEST_DELAY)


def login_attempt(email: str, address: str | None) -> Attempt:
    """Count one sign-in try and say whether its password may be checked."""
    pair, account, by_address = login_keys(email, address)
    keys = [pair, account] + ([by_address] if by_address else [])
    counts, receipts = _store().take(keys, current_time())
    pair_count, account_count = counts[0], counts[1]
    retry_after = 0
    if pair_count > PAIR_LIMIT or (by_address and counts[2] > ADDRESS_LIMIT):
        retry_after = LONGEST_DELAY
    elif pair_count > 1:
        retry_after = account_delay(account_count)
    return Attempt(pair, account, by_address, receipts, retry_after)


def login_succeeded(attempt: Attempt) -> None:
    """The right password: the account starts afresh here; the try costs the address nothing."""
    store = _store()
    # Tries reach the table only while Redis is away, so it is cleared only when this one was
    # counted there: with Redis answering, that would be a write transaction on every sign-in.
    # Rows left from an earlier outage age out with the window.
    store.clear(
        [attempt.pair.digest, attempt.account.digest],
        table=any(_counted_in_table(receipt) for receipt in attempt.receipts),
    )
    if attempt.address is not None:
        store.drop(
            [receipt for receipt in attempt.receipts if receipt[0] == attempt.address.digest]
        )


def forget_account(email: str, address: str | None) -> None:
    """After a password reset the account starts afresh, at least from this address."""
    pair, account, _ = login_keys(email, address)
    _store().clear([pair.digest, account.digest])


def mail_allowed(email: str, address: str | None) -> bool:
    """Count one account e-mail to *email*, asked for from *address*; False past either limit."""
    config = current_app.config
    keys = [Key(_digest(f"mail:{_email_part(email)}"), MAIL_WINDOW)]
    limits = [int(config["MAIL_PER_ADDRESS_PER_HOUR"])]
    if address:
        keys.append(Key(_digest(f"mail-ip:{address}"), MAIL_WINDOW))
        limits.append(int(config["MAIL_PER_CLIENT_PER_HOUR"]))
    counts, _ = _store().take(keys, current_time())
    return all(count <= limit for count, limit in zip(counts, limits, strict=True))
