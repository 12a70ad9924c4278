"""Stripe Connect Express onboarding: how a tutor gets an account that receives their share.

The standalone site offers the link through ``getattr(provider, "payout_onboarding_url",
None)``; this plugin's own ``/payments/stripe/onboarding`` page makes a fresh link, which is
where Stripe sends a tutor whose link has expired.
"""

from __future__ import annotations

import typing as t

import stripe
from flask import current_app
from flask import has_request_context
from flask import request

from lti_tool.database import write_transaction
from lti_tool.models import TutorProfile
from lti_tool.models import db

ONBOARDING_PATH = "/payments/stripe/onboarding"
#: Where a tutor lands after onboarding unless the caller says otherwise.
DEFAULT_RETURN_PATH = "/tutor/availability"


def _absolute(path: str) -> str:
    # The address the tutor's browser used wins over base_url, which may name another host
    # (a proxy's internal one, or a test server's port).
    root = request.url_root if has_request_context() else current_app.config["BASE_URL"] + "/"
    return root.rstrip("/") + path


def ensure_account(client: stripe.StripeClient, tutor: TutorProfile) -> str:
    """The tutor's Connect account id, creating an Express account the first time."""
    if tutor.payout_account_id:
        return tutor.payout_account_id
    params: dict[str, t.Any] = {
        "type": "express",
        "capabilities": {"transfers": {"requested": True}},
        "metadata": {"tutor_id": str(tutor.id)},
    }
    if tutor.user.email:
        params["email"] = tutor.user.email
    account = client.v1.accounts.create(
        t.cast(t.Any, params),
        # One account per tutor even when two requests race or one is retried.
        {"idempotency_key": f"connect-account-tutor-{tutor.id}"},
    )
    session = db.session()
    with write_transaction(session):
        session.refresh(tutor)
        if not tutor.payout_account_id:
            tutor.payout_account_id = account.id
    return tutor.payout_account_id or account.id


def onboarding_url(
    client: stripe.StripeClient, tutor: TutorProfile, return_url: str | None = None
) -> str:
    """A single-use Account Link to Stripe's hosted onboarding for *tutor*."""
    account_id = ensure_account(client, tutor)
    back = return_url or DEFAULT_RETURN_PATH
    link = client.v1.account_links.create(
        {
            "account": account_id,
            "refresh_url": _absolute(ONBOARDING_PATH),
            "return_url": _absolute(back) if back.startswith("/") else back,
            "type": "account_onboarding",
        }
    )
    return link.url
