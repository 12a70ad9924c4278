"""Calls to Redis that degrade instead of failing while Redis is away.

Redis holds nothing the tool cannot do without for a while: the Socket.IO message queue (live
delivery between processes) and the rate limits' counters (:mod:`lti_tool.rate_limits`). A call
made through :func:`guarded` answers its fallback when Redis cannot be reached, and logs that
at most once a minute per purpose so an outage does not flood the log. Nothing is cached about
the outage itself: every call tries Redis again, so the tool recovers the moment it is back.
"""

from __future__ import annotations

import logging
import threading
import time
import typing as t
from collections.abc import Callable

import redis.exceptions

log = logging.getLogger(__name__)

T = t.TypeVar("T")

#: Errors that mean "Redis is not there right now", not "this call was wrong".
UNREACHABLE: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
)
LOG_EVERY_S = 60.0

_last_logged: dict[str, float] = {}
_lock = threading.Lock()


def report_unreachable(purpose: str, error: BaseException) -> None:
    """Log that Redis was away for *purpose*, unless that was logged in the last minute."""
    now = time.monotonic()
    with _lock:
        last = _last_logged.get(purpose)
        if last is not None and now - last < LOG_EVERY_S:
            return
        _last_logged[purpose] = now
    log.warning("Redis unreachable (%s), carrying on without it: %s", purpose, error)


def guarded(call: Callable[[], T], fallback: Callable[[], T], purpose: str) -> T:
    """``call()``, or ``fallback()`` when Redis cannot be reached.

    Only the connection failures in :data:`UNREACHABLE` fall back; any other error (a wrong
    command, a full disk refusing writes) still raises, because hiding it would hide a bug.

    :param purpose: a few words for the log line, e.g. ``"sign-in throttle"``.
    """
    try:
        return call()
    except UNREACHABLE as exc:
        report_unreachable(purpose, exc)
        return fallback()
