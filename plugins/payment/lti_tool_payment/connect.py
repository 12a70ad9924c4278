"""Stripe Connect Express: how a tutor gets an account that receives their share, and when it
may.

A tutor's account is used as the destination of a payment only once Stripe reports its
``transfers`` capability ``active``: Stripe refuses any other destination, so a booking with a
tutor who started but did not finish onboarding could never be paid. Until then such a tutor
takes no paid bookings (the booking API says why); a tutor with no account at all is paid by
the platform itself, as before Connect was set up. Stripe tells of changes with
``account.updated`` (``webhooks.py``); the onboarding return page and ``lti-tool payments
sync-accounts`` also ask, so a missed event is caught up.

The standalone site offers the link through the provider's ``payout_onboarding_url``; this
plugin's own ``/payments/stripe/onboarding`` page makes a fresh link, which is where Stripe
sends a tutor whose link has expired.
"""

from __future__ import annotations

import secrets
import typing as t
from urllib.parse import urlencode

import sqlalchemy as sa
import stripe
from flask import current_app
from flask import has_request_context
from flask import request
from sqlalchemy.exc import IntegrityError

from lti_tool.api import TutorProfile
from lti_tool.api import db
from lti_tool.api import write_transaction
from lti_tool_payment import ledger
from lti_tool_payment.models import PayoutAccount

ONBOARDING_PATH = "/payments/stripe/onboarding"
RETURN_PATH = "/payments/stripe/onboarding/return"
#: Where a tutor lands after onboarding unless the caller says otherwise.
DEFAULT_RETURN_PATH = "/tutor/availability"


def _absolute(path: str) -> str:
    # The address the tutor's browser used wins over base_url, which may name another host
    # (a proxy's internal one, or a test server's port).
    root = request.url_root if has_request_context() else current_app.config["BASE_URL"] + "/"
    return root.rstrip("/") + path


def account_of(tutor: TutorProfile) -> PayoutAccount | None:
    return db.session.scalar(
        sa.select(PayoutAccount).where(
            PayoutAccount.provider == ledger.PROVIDER, PayoutAccount.tutor_id == tutor.id
        )
    )


def account_by_id(account_id: str) -> PayoutAccount | None:
    return db.session.scalar(
        sa.select(PayoutAccount).where(
            PayoutAccount.provider == ledger.PROVIDER, PayoutAccount.account_id == account_id
        )
    )


def destination(tutor: TutorProfile) -> tuple[str | None, str | None]:
    """(account id to pay, None) when the tutor can be paid through Connect; (None, None) when
    the tutor has no account (the platform collects); (None, reason) when the tutor has one
    that Stripe does not accept yet."""
    account = account_of(tutor)
    if account is None or account.account_id is None:
        return None, None
    if not account.payable:
        return None, (
            f"{tutor.user.display_name} is still setting up payouts and cannot take paid "
            "bookings yet; try another tutor or come back later."
        )
    return account.account_id, None


def _reserve(tutor: TutorProfile) -> PayoutAccount:
    """The tutor's account row, created with a random request key before Stripe is asked."""
    session = db.session()
    existing = account_of(tutor)
    if existing is not None:
        return existing
    try:
        with write_transaction(session):
            row = PayoutAccount(
                provider=ledger.PROVIDER, tutor_id=tutor.id, request_key=secrets.token_hex(16)
            )
            session.add(row)
    except IntegrityError:
        session.rollback()  # another request reserved it first; both use its key
    found = account_of(tutor)
    assert found is not None
    return found


def ensure_account(client: stripe.StripeClient, tutor: TutorProfile) -> str:
    """The tutor's Connect account id, creating an Express account the first time."""
    row = _reserve(tutor)
    if row.account_id:
        return row.account_id
    params: dict[str, t.Any] = {
        "type": "express",
        "capabilities": {"transfers": {"requested": True}},
        "metadata": {"tutor_id": str(tutor.id)},
    }
    if tutor.user.email:
        params["email"] = tutor.user.email
    account = client.v1.accounts.create(
        t.cast(t.Any, params),
        # Random per tutor and stored first: a retry or a racing request gets the same
        # account, and no other site sharing the Stripe account can ever send this key.
        {"idempotency_key": f"connect-account-{row.request_key}"},
    )
    session = db.session()
    with write_transaction(session):
        session.refresh(row)
        if not row.account_id:
            row.account_id = account.id
        apply_account(row, account.to_dict())
    return row.account_id or account.id


def apply_account(row: PayoutAccount, account: dict[str, t.Any]) -> None:
    """Copy what Stripe says of the account onto *row* (inside the caller's transaction)."""
    capabilities = account.get("capabilities") or {}
    row.payable = capabilities.get("transfers") == "active"
    requirements = account.get("requirements") or {}
    row.disabled_reason = requirements.get("disabled_reason") or None


def refresh(client: stripe.StripeClient, row: PayoutAccount) -> PayoutAccount:
    """Ask Stripe for the account's state now and store it."""
    if not row.account_id:
        return row
    account = client.v1.accounts.retrieve(row.account_id)
    session = db.session()
    with write_transaction(session):
        session.refresh(row)
        apply_account(row, account.to_dict())
    return row


def onboarding_url(
    client: stripe.StripeClient, tutor: TutorProfile, return_url: str | None = None
) -> str:
    """A single-use Account Link to Stripe's hosted onboarding for *tutor*."""
    account_id = ensure_account(client, tutor)
    # A path stays a path in ``next``, so the return page need only accept local paths.
    back = urlencode({"next": return_url or DEFAULT_RETURN_PATH})
    link = client.v1.account_links.create(
        {
            "account": account_id,
            "refresh_url": _absolute(ONBOARDING_PATH),
            # Back through our page, which asks Stripe how far onboarding got.
            "return_url": f"{_absolute(RETURN_PATH)}?{back}",
            "type": "account_onboarding",
        }
    )
    return link.url
