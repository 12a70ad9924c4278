"""Secrets at rest: values sealed with a data key from the configuration before they are stored.

A column declared as :class:`SealedText` holds ``sealed:<key id>:<Fernet token>`` instead of
its text: encrypted and authenticated (AES-128-CBC with HMAC-SHA256) with the newest key of
the ring configured as ``data_keys`` (``LTI_TOOL_DATA_KEYS``, comma-separated, newest first).
Reading opens it with whichever key of the ring sealed it. The key id, the first eight hex
digits of the key's SHA-256, lets an error name the key that is missing from the ring and lets
:func:`reseal` leave values alone that the newest key already sealed.

Rotating the data key: put the new key first in the ring, run ``lti-tool keys reseal``, then
drop the old key. A database copied without the keys holds no usable secret.
"""

from __future__ import annotations

import base64
import hashlib
import typing as t
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

import sqlalchemy as sa
from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask
from flask import current_app
from flask import has_app_context
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

PREFIX = "sealed:"
EXTENSION = "lti_tool.sealing"
DATA_KEYS_ENV = "LTI_TOOL_DATA_KEYS"
#: Tells the development key apart from any other key derived from the same secret.
_DEVELOPMENT_INFO = b"lti_tool development data key"


class SealError(Exception):
    """A stored secret cannot be opened with the configured data keys, or is not sealed."""


def key_id(key: str) -> str:
    """A short name for *key* that reveals nothing of it (a prefix of its SHA-256)."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()[:8]


def parse_data_keys(value: t.Any) -> tuple[str, ...]:
    """The data keys of a setting: a comma-separated text (as from the environment) or a TOML
    list, newest first. Each must be a Fernet key (32 random bytes, URL-safe base64).

    :raises ValueError: naming the position of the key that is not one.
    """
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError(f"expected comma-separated keys, got {value!r}")
    keys: list[str] = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, str):
            raise ValueError(f"key {position} is not text")
        key = item.strip()
        if not key:
            continue
        try:
            Fernet(key)
        except ValueError:
            # The key itself is never echoed: a near miss of a real key is still a secret.
            raise ValueError(
                f"key {position} is not a data key (32 random bytes in URL-safe base64; make "
                "one with python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            ) from None
        keys.append(key)
    ids = [key_id(key) for key in keys]
    if len(set(ids)) != len(ids):
        raise ValueError("the same key is listed twice")
    return tuple(keys)


def development_key(secret_key: str) -> str:
    """The data key used in development when none is configured, derived from *secret_key*.

    Development must run with nothing configured, and a key that changed on every start would
    make yesterday's database unreadable; the secret key is already stable and private to the
    installation, so a key derived from it is too. Production refuses this fallback: there the
    two keys are kept apart so that replacing the session secret never costs the stored
    secrets, and one leaked key does not give away the other.
    """
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DEVELOPMENT_INFO)
    return base64.urlsafe_b64encode(derived.derive(secret_key.encode("utf-8"))).decode("ascii")


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


@dataclass(frozen=True)
class KeyRing:
    """The data keys, newest first: the first seals, any of them opens."""

    keys: tuple[str, ...]
    _fernets: dict[str, Fernet] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise SealError(f"no data key is configured ({DATA_KEYS_ENV})")
        object.__setattr__(self, "_fernets", {key_id(key): Fernet(key) for key in self.keys})

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._fernets)

    @property
    def newest_id(self) -> str:
        return self.ids[0]

    def seal(self, plaintext: str) -> str:
        token = self._fernets[self.newest_id].encrypt(plaintext.encode("utf-8"))
        return f"{PREFIX}{self.newest_id}:{token.decode('ascii')}"

    def sealed_by(self, stored: str) -> str:
        """The id of the key that sealed *stored*."""
        if not is_sealed(stored):
            raise SealError(
                "a secret is stored unsealed (written before secrets were sealed?); "
                "run `lti-tool db upgrade` to seal it"
            )
        found, _, _ = stored[len(PREFIX) :].partition(":")
        return found

    def open(self, stored: str) -> str:
        """The text of a sealed value.

        :raises SealError: when no key of the ring sealed it, or it was altered.
        """
        sealed_by = self.sealed_by(stored)
        fernet = self._fernets.get(sealed_by)
        if fernet is None:
            raise SealError(
                f"a secret is sealed with data key {sealed_by}, which is not among the "
                f"configured keys ({', '.join(self.ids)}); put that key back in "
                f"{DATA_KEYS_ENV}"
            )
        token = stored[len(PREFIX) + len(sealed_by) + 1 :]
        try:
            return fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise SealError(
                f"a secret sealed with data key {sealed_by} does not open with that key: the "
                "stored value was altered or cut short"
            ) from None

    def reseal(self, stored: str) -> str | None:
        """*stored* sealed with the newest key, or ``None`` when it already is.

        A value written before sealing existed is sealed as it is.
        """
        if not is_sealed(stored):
            return self.seal(stored)
        if self.sealed_by(stored) == self.newest_id:
            return None
        return self.seal(self.open(stored))


def init_app(app: Flask) -> None:
    """Build the key ring from ``DATA_KEYS`` once, so a bad key stops start-up."""
    app.extensions[EXTENSION] = KeyRing(tuple(app.config["DATA_KEYS"]))


def current_ring() -> KeyRing:
    if not has_app_context():
        raise SealError("sealed values are read and written inside the application context")
    ring: KeyRing = current_app.extensions[EXTENSION]
    return ring


class SealedText(TypeDecorator[str]):
    """Text stored sealed with the application's data keys; models read and write plain text.

    The stored form is random for every write, so such a column cannot be searched or compared
    in SQL; it is meant for secrets that are only ever read by their row.
    """

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: t.Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"a sealed column holds text, got {type(value).__name__}")
        return current_ring().seal(value)

    def process_result_value(self, value: t.Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return current_ring().open(str(value))


def sealed_columns(metadata: sa.MetaData) -> list[sa.Column[t.Any]]:
    """Every column of *metadata* declared :class:`SealedText`, plugins' tables included."""
    return [
        column
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, SealedText)
    ]


def reseal_column(
    connection: sa.Connection, table: str, key_columns: Sequence[str], column: str, ring: KeyRing
) -> int:
    """Seal every value of one column with the newest key; returns how many changed.

    The column is read and written as plain text, below :class:`SealedText`, so values sealed
    with an older key (or not sealed at all) are seen as they are stored.
    """
    raw = sa.table(table, *(sa.column(name) for name in key_columns), sa.column(column, sa.Text))
    rows = connection.execute(
        sa.select(*(raw.c[name] for name in key_columns), raw.c[column]).where(
            raw.c[column].is_not(None)
        )
    ).all()
    changed = 0
    for row in rows:
        resealed = ring.reseal(row[-1])
        if resealed is None:
            continue
        condition = sa.and_(*(raw.c[name] == row[i] for i, name in enumerate(key_columns)))
        connection.execute(sa.update(raw).where(condition).values({column: resealed}))
        changed += 1
    return changed


def reseal(
    connection: sa.Connection, columns: Iterable[sa.Column[t.Any]], ring: KeyRing
) -> dict[str, int]:
    """Seal every value of *columns* with the newest key of *ring*.

    :returns: how many values changed, by ``table.column``.
    :raises SealError: when a value was sealed with a key that is no longer in the ring;
        nothing is then changed if the caller rolls back.
    """
    changed: dict[str, int] = {}
    for column in columns:
        table = column.table
        key_columns = [key.name for key in table.primary_key.columns]
        name = f"{table.name}.{column.name}"
        changed[name] = reseal_column(connection, table.name, key_columns, column.name, ring)
    return changed
