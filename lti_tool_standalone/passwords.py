"""Password hashing with Argon2id, and the checks a new password must pass."""

from __future__ import annotations

import functools
import sys
import typing as t

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from flask import current_app
from flask import has_app_context

from lti_tool.api import User

MIN_LENGTH = 10
#: Hashing cost grows with the input; a cap keeps one request from tying up a worker.
MAX_LENGTH = 1024

_hasher = PasswordHasher()

T = t.TypeVar("T")
Runner = t.Callable[[t.Callable[[], t.Any]], t.Any]


def _direct(work: t.Callable[[], T]) -> T:
    return work()


def runner_for(mode: str, eventlet_patched: bool, gevent_patched: bool) -> Runner:
    """How to run CPU-bound work for *mode*, given which green library has patched threads.

    Argon2 holds the CPU for a fifth of a second; on a green event loop that stalls every
    other request of the process, so it goes to a real OS thread instead.
    """
    if mode == "eventlet" and eventlet_patched:
        from eventlet import tpool

        return t.cast(Runner, tpool.execute)
    if mode == "gevent" and gevent_patched:
        import gevent

        return lambda work: gevent.get_hub().threadpool.apply(work)
    return _direct


def _patched(module: str) -> bool:
    if module not in sys.modules:
        return False
    patcher = sys.modules.get(f"{module}.patcher") or sys.modules.get(f"{module}.monkey")
    if module == "eventlet" and patcher is not None:
        return bool(patcher.is_monkey_patched("thread"))
    if module == "gevent" and patcher is not None:
        return bool(patcher.is_module_patched("threading"))
    return False


def off_the_loop(work: t.Callable[[], T]) -> T:
    """Run *work* where it cannot stall the server's event loop, and return its result."""
    mode = current_app.config.get("ASYNC_MODE", "threading") if has_app_context() else ""
    runner = runner_for(mode, _patched("eventlet"), _patched("gevent"))
    return t.cast(T, runner(work))


class WeakPassword(ValueError):
    """A new password was refused; the message says why, for the person choosing it."""


def hash_password(password: str) -> str:
    return off_the_loop(lambda: _hasher.hash(password))


@functools.cache
def _dummy_hash() -> str:
    # Hashed once, with the same parameters as real hashes, so a login for an unknown e-mail
    # spends the same work as one for a known e-mail.
    return _hasher.hash("no account has this password")


def check_password(user: User | None, password: str) -> bool:
    """Whether *password* is *user*'s; as slow for no user (or no password) as for a real one."""
    # Made on every path, so the first login of a process is not slower for unknown users.
    dummy = _dummy_hash()
    stored = user.password_hash if user is not None else None
    if len(password) > MAX_LENGTH:
        password = password[:MAX_LENGTH]
    try:
        off_the_loop(lambda: _hasher.verify(stored or dummy, password))
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def needs_rehash(user: User) -> bool:
    return user.password_hash is not None and _hasher.check_needs_rehash(user.password_hash)


def check_new_password(password: str, email: str | None = None) -> None:
    """:raises WeakPassword: the password is too short, too long or is the e-mail address."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")
    if email and password.strip().lower() == email.strip().lower():
        raise WeakPassword("Your password must not be your e-mail address.")
