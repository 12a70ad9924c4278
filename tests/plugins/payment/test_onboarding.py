"""Tutors get a Connect Express account once, and a fresh onboarding link whenever they ask."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from lti_tool_payment.models import PayoutAccount

from lti_tool.models import TutorProfile
from lti_tool.models import db
from lti_tool.plugins import pm
from tests.booking import make_user
from tests.booking import sign_in

from .fake_stripe import FakeStripe
from .helpers import fresh
from .helpers import make_world

ROOT = "http://127.0.0.1:5000"
PAYOUTS = "https://site.example/tutor/payouts"


def test_the_first_link_creates_an_express_account_and_later_ones_reuse_it(
    app: Flask, fake: FakeStripe
) -> None:
    tutor = make_world(app).tutor
    provider = pm.hook.payment_provider()
    assert provider.pays_out_tutors  # what the standalone site looks for
    starter = provider.payout_onboarding_url

    first = starter(tutor)
    second = starter(fresh(TutorProfile, tutor.id), "https://site.example/tutor/payouts")

    (created,) = fake.calls("POST", "/v1/accounts")
    assert created.params["type"] == "express"
    assert created.params["capabilities"] == {"transfers": {"requested": "true"}}
    (account_id,) = fake.accounts
    row = db.session.scalars(sa.select(PayoutAccount)).one()
    assert (row.tutor_id, row.account_id, row.payable) == (tutor.id, account_id, False)
    # A random key stored before asking: unique to this site's tutor, the same on a retry.
    assert created.idempotency_key == f"connect-account-{row.request_key}"
    assert len(row.request_key) == 32
    links = fake.calls("POST", "/v1/account_links")
    assert [link.params["account"] for link in links] == [account_id, account_id]
    assert links[0].params["type"] == "account_onboarding"
    assert links[0].params["refresh_url"] == "http://127.0.0.1:5000/payments/stripe/onboarding"
    # Back through the page that asks Stripe how far onboarding got, then on.
    back = "http://127.0.0.1:5000/payments/stripe/onboarding/return?next="
    assert links[0].params["return_url"] == back + quote("/tutor/availability", safe="")
    assert links[1].params["return_url"] == back + quote(
        "https://site.example/tutor/payouts", safe=""
    )
    assert first == second == f"{fake.url}/connect/onboarding/{account_id}"


def test_the_onboarding_page_sends_a_tutor_to_stripe(app: Flask, fake: FakeStripe) -> None:
    tutor = make_world(app).tutor
    client = sign_in(app.test_client(), tutor.user)

    answer = client.get("/payments/stripe/onboarding?next=/dashboard")

    assert answer.status_code == 302
    (account_id,) = fake.accounts
    assert answer.headers["Location"] == f"{fake.url}/connect/onboarding/{account_id}"
    (link,) = fake.calls("POST", "/v1/account_links")
    assert link.params["refresh_url"] == "http://localhost/payments/stripe/onboarding"
    assert link.params["return_url"] == (
        "http://localhost/payments/stripe/onboarding/return?next=%2Fdashboard"
    )


@pytest.mark.parametrize("target", ["/\\evil.example", "//evil.example", "https://evil.example"])
def test_onboarding_follows_next_only_to_a_path_on_this_site(
    app: Flask, fake: FakeStripe, target: str
) -> None:
    tutor = make_world(app).tutor
    client = sign_in(app.test_client(), tutor.user)

    client.get("/payments/stripe/onboarding", query_string={"next": target})
    back = client.get("/payments/stripe/onboarding/return", query_string={"next": target})

    (link,) = fake.calls("POST", "/v1/account_links")
    assert link.params["return_url"] == (
        "http://localhost/payments/stripe/onboarding/return?next=%2Ftutor%2Favailability"
    )
    assert back.status_code == 302
    assert back.headers["Location"] == "/tutor/availability"


def test_only_tutors_have_payout_accounts(app: Flask, fake: FakeStripe) -> None:
    client = sign_in(app.test_client(), make_user("Not A Tutor"))

    assert client.get("/payments/stripe/onboarding").status_code == 403
    assert fake.requests == []
