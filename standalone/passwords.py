"""Password hashing with Argon2id, and the checks a new password must pass."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError

from lti_tool.models import User

MIN_LENGTH = 10
#: Hashing cost grows with the input; a cap keeps one request from tying up a worker.
MAX_LENGTH = 1024

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    """A new password was refused; the message says why, for the person choosing it."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


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
        _hasher.verify(stored or dummy, password)
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
