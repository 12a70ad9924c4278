"""Tutors get a Connect Express account once, and a fresh onboarding link whenever they ask."""

from __future__ import annotations

from flask import Flask

from lti_tool.models import TutorProfile
from lti_tool.plugins import pm
from tests.booking import make_user
from tests.booking import sign_in

from .fake_stripe import FakeStripe
from .helpers import fresh
from .helpers import make_world


def test_the_first_link_creates_an_express_account_and_later_ones_reuse_it(
    app: Flask, fake: FakeStripe
) -> None:
    tutor = make_world(app).tutor
    provider = pm.hook.payment_provider()
    starter = getattr(provider, "payout_onboarding_url", None)
    assert callable(starter)  # what the standalone site looks for

    first = starter(tutor)
    second = starter(fresh(TutorProfile, tutor.id), "https://site.example/tutor/payouts")

    (created,) = fake.calls("POST", "/v1/accounts")
    assert created.params["type"] == "express"
    assert created.params["capabilities"] == {"transfers": {"requested": "true"}}
    assert created.idempotency_key == f"connect-account-tutor-{tutor.id}"
    (account_id,) = fake.accounts
    assert fresh(TutorProfile, tutor.id).payout_account_id == account_id
    links = fake.calls("POST", "/v1/account_links")
    assert [link.params["account"] for link in links] == [account_id, account_id]
    assert links[0].params["type"] == "account_onboarding"
    assert links[0].params["refresh_url"] == "http://127.0.0.1:5000/payments/stripe/onboarding"
    assert links[0].params["return_url"] == "http://127.0.0.1:5000/tutor/availability"
    assert links[1].params["return_url"] == "https://site.example/tutor/payouts"
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
    assert link.params["return_url"] == "http://localhost/dashboard"


def test_only_tutors_have_payout_accounts(app: Flask, fake: FakeStripe) -> None:
    client = sign_in(app.test_client(), make_user("Not A Tutor"))

    assert client.get("/payments/stripe/onboarding").status_code == 403
    assert fake.requests == []
