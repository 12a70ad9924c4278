"""Rate limits of the public site: sign-in attempts and account e-mails.

Every attempt is counted before it is judged, by the core's counter
(:mod:`lti_tool.rate_limits`: Redis when ``redis_url`` is set, the ``rate_counts`` table
otherwise or while Redis is away), so a burst of parallel tries is judged no further than the
limit allows. This module only says what is counted under which key and what each count means.

Sign-in attempts are counted three ways. One client address guessing one account is stopped
after a few tries; one address trying many accounts after more (people share addresses behind
a NAT). The account itself is never locked: once many addresses have failed on it, an address
that already failed there waits ever longer between tries, while an address that has not
failed is always heard, so the owner can still sign in while someone else hammers the account.
An unknown e-mail address is counted exactly like a known one, so the limit gives nothing away.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from flask import current_app

from lti_tool.api import Key
from lti_tool.api import Receipt
from lti_tool.api import counted_in_table
from lti_tool.api import counter
from lti_tool.api import current_time
from lti_tool.api import digest

WINDOW = dt.timedelta(minutes=15)
PAIR_LIMIT = 5
"""Failed tries one client address gets at one account in the window."""
ADDRESS_LIMIT = 20
"""Higher than the pair limit: many people may share one address behind a NAT."""
ACCOUNT_SLOWDOWN_AFTER = 10
"""Tries at one account, from all addresses, after which addresses that failed there wait."""
LONGEST_DELAY = int(WINDOW.total_seconds())
MAIL_WINDOW = dt.timedelta(hours=1)


class Attempt(t.NamedTuple):
    """One counted sign-in try: its keys, its place in each key's window, and the answer."""

    pair: Key
    account: Key
    address: Key | None
    receipts: list[Receipt]
    retry_after: int
    """Seconds the client must wait; 0 when the password may be checked."""


def _email_part(email: str) -> str:
    return email.strip().lower()


def login_keys(email: str, address: str | None) -> tuple[Key, Key, Key | None]:
    """The keys one sign-in try from *address* at *email* is counted under."""
    account = _email_part(email)
    pair = Key(digest(f"pair:{address or ''}:{account}"), WINDOW)
    return (
        pair,
        Key(digest(f"account:{account}"), WINDOW),
        Key(digest(f"ip:{address}"), WINDOW) if address else None,
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
    counts, receipts = counter().take(keys, current_time())
    pair_count, account_count = counts[0], counts[1]
    retry_after = 0
    if pair_count > PAIR_LIMIT or (by_address and counts[2] > ADDRESS_LIMIT):
        retry_after = LONGEST_DELAY
    elif pair_count > 1:
        retry_after = account_delay(account_count)
    return Attempt(pair, account, by_address, receipts, retry_after)


def login_succeeded(attempt: Attempt) -> None:
    """The right password: the account starts afresh here; the try costs the address nothing."""
    store = counter()
    # Tries reach the table only while Redis is away, so it is cleared only when this one was
    # counted there: with Redis answering, that would be a write transaction on every sign-in.
    # Rows left from an earlier outage age out with the window.
    store.clear(
        [attempt.pair.digest, attempt.account.digest],
        table=any(counted_in_table(receipt) for receipt in attempt.receipts),
    )
    if attempt.address is not None:
        store.drop(
            [receipt for receipt in attempt.receipts if receipt[0] == attempt.address.digest]
        )


def forget_account(email: str, address: str | None) -> None:
    """After a password reset the account starts afresh, at least from this address."""
    pair, account, _ = login_keys(email, address)
    counter().clear([pair.digest, account.digest])


def mail_allowed(email: str, address: str | None) -> bool:
    """Count one account e-mail to *email*, asked for from *address*; False past either limit."""
    config = current_app.config
    keys = [Key(digest(f"mail:{_email_part(email)}"), MAIL_WINDOW)]
    limits = [int(config["MAIL_PER_ADDRESS_PER_HOUR"])]
    if address:
        keys.append(Key(digest(f"mail-ip:{address}"), MAIL_WINDOW))
        limits.append(int(config["MAIL_PER_CLIENT_PER_HOUR"]))
    counts, _ = counter().take(keys, current_time())
    return all(count <= limit for count, limit in zip(counts, limits, strict=True))
