"""Rate limits: requests counted per key over a sliding window, shared by every process.

Every request is counted before it is judged, in one atomic step: in Redis when ``redis_url``
is set (a MULTI transaction on one sorted set per key) and in the ``rate_counts`` table
otherwise (insert, then count, while holding that key's lock). However many requests arrive at
once, each one sees its own place in the queue, so no more than the limit ever go ahead.

While a configured Redis is away the counting goes on in the table (see
:func:`lti_tool.redis_health.guarded`), so the limits keep holding instead of failing or
falling open. Each count leaves a receipt saying where it was made, so it can be taken back.

Two layers use this module. :class:`Counter` (``take``/``drop``/``clear``/``wait``) is the bare
mechanism, for policies of their own such as the public site's sign-in throttle. :class:`Limit`
is the common case: at most a configured number of requests per window for one holder (a user
or a client address), refused with ``429 Too Many Requests`` and ``Retry-After``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
import typing as t
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from werkzeug.exceptions import TooManyRequests

from lti_tool.booking.clock import current_time
from lti_tool.database import write_transaction
from lti_tool.models import RateCount
from lti_tool.models import db
from lti_tool.redis_health import guarded

PURPOSE = "rate limits"
REDIS_PREFIX = "lti_tool:rate:"
#: Where the Redis counter for each URL is kept, so its connection pool is made once.
EXTENSION = "lti_tool.rate_limits"

Receipt = tuple[str, str]
"""``(key digest, token)``: a row id in the table, ``"<time>:<random>"`` in Redis."""


class Key(t.NamedTuple):
    """What is counted, as a digest, and how far back its window reaches."""

    digest: str
    window: dt.timedelta


def digest(text: str) -> str:
    """A keyed digest of *text* under the app secret: stores never hold an address or a name."""
    secret = current_app.secret_key
    assert isinstance(secret, str | bytes)
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret_bytes, text.encode(), hashlib.sha256).hexdigest()


def counted_in_table(receipt: Receipt) -> bool:
    """Whether a request was counted in the table: a row's receipt is its id, while a Redis
    member is "<time>:<random>"."""
    return receipt[1].isdigit()


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    # Retry-After is whole seconds; rounding up never invites a client back too early.
    return max(1, math.ceil((moment - now).total_seconds()))


class TableCounter:
    """Counts as rows of ``rate_counts``; expired rows are deleted as new ones arrive."""

    def take(self, keys: list[Key], now: dt.datetime) -> tuple[list[int], list[Receipt]]:
        """Count one request under each key; how many each key now holds in its window."""
        digests = sorted({key.digest for key in keys})
        with write_transaction(db.session()) as session:
            if session.get_bind().dialect.name == "postgresql":
                # SQLite serialises writers when the transaction starts; PostgreSQL needs a
                # lock per key, taken in a fixed order so two requests cannot deadlock.
                for key_digest in digests:
                    session.execute(
                        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:digest, 0))"),
                        {"digest": key_digest},
                    )
            session.execute(sa.delete(RateCount).where(RateCount.expires_at <= now))
            rows = [
                RateCount(key_digest=key.digest, at=now, expires_at=now + key.window)
                for key in keys
            ]
            session.add_all(rows)
            session.flush()
            counts = [
                int(
                    session.scalar(
                        sa.select(sa.func.count()).where(
                            RateCount.key_digest == key.digest, RateCount.at > now - key.window
                        )
                    )
                    or 0
                )
                for key in keys
            ]
            receipts = [(row.key_digest, str(row.id)) for row in rows]
        return counts, receipts

    def drop(self, receipts: list[Receipt]) -> None:
        """Take back the requests these receipts counted."""
        ids = [int(row_id) for _, row_id in receipts]
        with write_transaction(db.session()) as session:
            session.execute(sa.delete(RateCount).where(RateCount.id.in_(ids)))

    def clear(self, digests: list[str], *, table: bool = True) -> None:
        """Forget everything counted under these keys."""
        # *table* is for the Redis counter's sake: this one has nowhere else to clear.
        with write_transaction(db.session()) as session:
            session.execute(sa.delete(RateCount).where(RateCount.key_digest.in_(digests)))

    def wait(self, key: Key, limit: int, now: dt.datetime) -> int:
        """Seconds until *key* holds fewer than *limit* counts, so that one more is allowed."""
        newest_first = (
            sa.select(RateCount.at)
            .where(RateCount.key_digest == key.digest, RateCount.at > now - key.window)
            .order_by(RateCount.at.desc())
            .offset(limit - 1)
            .limit(1)
        )
        oldest_in_the_way = db.session.scalar(newest_first)
        db.session.commit()  # end the read, so the request holds no transaction open
        if oldest_in_the_way is None:
            return 1
        return _seconds_until(oldest_in_the_way + key.window, now)


class RedisCounter:
    """One sorted set per key, scored by the request's time, trimmed to the key's window.

    While Redis is away the counting goes on in the table (:class:`TableCounter`); receipts
    say which of the two holds a count.
    """

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)

    def take(self, keys: list[Key], now: dt.datetime) -> tuple[list[int], list[Receipt]]:
        """Count one request under each key; how many each key now holds in its window."""
        return guarded(
            lambda: self._take(keys, now), lambda: TableCounter().take(keys, now), PURPOSE
        )

    def _take(self, keys: list[Key], now: dt.datetime) -> tuple[list[int], list[Receipt]]:
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

    def drop(self, receipts: list[Receipt]) -> None:
        """Take back the requests these receipts counted, wherever they were counted."""
        in_table = [receipt for receipt in receipts if counted_in_table(receipt)]
        in_redis = [receipt for receipt in receipts if not counted_in_table(receipt)]
        if in_table:
            TableCounter().drop(in_table)
        if in_redis:
            guarded(lambda: self._drop(in_redis), lambda: None, PURPOSE)

    def _drop(self, receipts: list[Receipt]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        for key_digest, member in receipts:
            pipe.zrem(REDIS_PREFIX + key_digest, member)
        pipe.execute()

    def clear(self, digests: list[str], *, table: bool = True) -> None:
        """Forget everything counted under these keys; *table* False leaves the table alone."""
        # Counts made while Redis was away live in the table; clearing them costs a write
        # transaction, which callers skip when they know none were made there.
        if table:
            TableCounter().clear(digests)
        guarded(
            lambda: self.redis.delete(*(REDIS_PREFIX + key_digest for key_digest in digests)),
            lambda: 0,
            PURPOSE,
        )

    def wait(self, key: Key, limit: int, now: dt.datetime) -> int:
        """Seconds until *key* holds fewer than *limit* counts, so that one more is allowed."""
        return guarded(
            lambda: self._wait(key, limit, now),
            lambda: TableCounter().wait(key, limit, now),
            PURPOSE,
        )

    def _wait(self, key: Key, limit: int, now: dt.datetime) -> int:
        found = self.redis.zrevrangebyscore(
            REDIS_PREFIX + key.digest,
            "+inf",
            f"({(now - key.window).timestamp()}",
            start=limit - 1,
            num=1,
            withscores=True,
        )
        if not found:
            return 1
        score = float(found[0][1])
        return _seconds_until(dt.datetime.fromtimestamp(score, dt.UTC) + key.window, now)


Counter = TableCounter | RedisCounter


def counter() -> Counter:
    """The application's counter: Redis when ``redis_url`` is set, the table otherwise."""
    url = current_app.config.get("REDIS_URL") or ""
    if not url:
        return TableCounter()
    counters = current_app.extensions.setdefault(EXTENSION, {})
    if url not in counters:
        counters[url] = RedisCounter(url)
    return t.cast(RedisCounter, counters[url])


class RateLimited(TooManyRequests):
    """A request over its limit: 429 with ``Retry-After``, as JSON or a page like any error."""

    def __init__(self, description: str, retry_after: int) -> None:
        super().__init__(description=description, retry_after=retry_after)
        self.retry_after_seconds = retry_after


@dataclass(frozen=True)
class Limit:
    """At most ``config[setting]`` requests per *window* by one holder.

    A request over the limit is not counted, so a client that waits as long as ``Retry-After``
    says is let in then, however often it was refused meanwhile.
    """

    name: str
    """Part of every key, so limits on different things never share a count."""
    setting: str
    """The config key of the allowance, such as ``BOOKINGS_PER_USER_PER_HOUR``."""
    window: dt.timedelta

    def allowance(self) -> int:
        return int(current_app.config[self.setting])

    def key(self, holder: str) -> Key:
        return Key(digest(f"{self.name}:{holder}"), self.window)

    def take(self, holder: str) -> int:
        """Count one request by *holder*: 0 when it may go ahead, else the seconds to wait."""
        key = self.key(holder)
        store = counter()
        now = current_time()
        [count], receipts = store.take([key], now)
        allowance = self.allowance()
        if count <= allowance:
            return 0
        store.drop(receipts)
        return store.wait(key, allowance, now)

    def enforce(self, holder: str, description: str) -> None:
        """Count one request by *holder*, or refuse it with :class:`RateLimited`."""
        retry_after = self.take(holder)
        if retry_after:
            raise RateLimited(description, retry_after)


# The tool's own limits; the allowances are settings (lti_tool/config/default.toml).
BOOKINGS = Limit("bookings", "BOOKINGS_PER_USER_PER_HOUR", dt.timedelta(hours=1))
"""Booking requests per signed-in person, whether or not they end in a booking."""
CALENDAR_TOKEN_ROTATIONS = Limit(
    "calendar-token", "CALENDAR_TOKEN_ROTATIONS_PER_USER_PER_HOUR", dt.timedelta(hours=1)
)
"""New calendar feed addresses per person."""
LTI_LOGINS = Limit("lti-login", "LTI_LAUNCHES_PER_CLIENT_PER_MINUTE", dt.timedelta(minutes=1))
"""OIDC login initiations per client address."""
LTI_LAUNCHES = Limit("lti-launch", "LTI_LAUNCHES_PER_CLIENT_PER_MINUTE", dt.timedelta(minutes=1))
"""Launches (and the second half of a cookieless launch) per client address."""
BAD_WEBHOOKS = Limit("bad-webhook", "BAD_WEBHOOKS_PER_CLIENT_PER_MINUTE", dt.timedelta(minutes=1))
"""Webhook deliveries whose signature failed, per client address."""
