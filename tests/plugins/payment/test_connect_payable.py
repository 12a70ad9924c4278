"""A tutor's Connect account receives money only once Stripe says it can.

Until then the tutor takes no paid bookings: the learner is told why and nothing is held.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from lti_tool_payment.models import PayoutAccount

from lti_tool.models import Booking
from lti_tool.models import db
from lti_tool.plugins import pm
from lti_tool.testing import app_in_context
from tests.booking import sign_in

from .conftest import stripe_settings
from .fake_stripe import FakeStripe
from .helpers import book
from .helpers import make_world
from .helpers import post_event

CHECKOUT = "/v1/checkout/sessions"


def account_row(tutor_id: int) -> PayoutAccount:
    db.session.rollback()
    return db.session.scalars(
        sa.select(PayoutAccount).where(PayoutAccount.tutor_id == tutor_id)
    ).one()


def test_a_tutor_still_onboarding_takes_no_paid_bookings_until_stripe_says_so(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    tutor_client = sign_in(app.test_client(), world.tutor.user)
    assert tutor_client.get("/payments/stripe/onboarding").status_code == 302
    (account_id,) = fake.accounts
    assert account_row(world.tutor.id).payable is False

    refused = book(world)

    assert refused.status_code == 409
    assert refused.json["error"] == "payment_not_possible"
    assert "setting up payouts" in refused.json["detail"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
    assert fake.calls("POST", CHECKOUT) == []
    page = tutor_client.get("/payments/stripe/payouts")
    assert 'data-state="pending"' in page.text

    updated = fake.finish_onboarding(account_id)
    answer = post_event(world.client, fake, updated)

    assert (answer.status_code, answer.json["outcome"]) == (200, "payable")
    assert account_row(world.tutor.id).payable is True
    booked = book(world)
    assert booked.status_code == 201, booked.json
    (call,) = fake.calls("POST", CHECKOUT)
    assert call.params["payment_intent_data"]["transfer_data"] == {"destination": account_id}
    assert 'data-state="payable"' in tutor_client.get("/payments/stripe/payouts").text


def test_coming_back_from_onboarding_asks_stripe_how_far_it_got(
    app: Flask, fake: FakeStripe
) -> None:
    world = make_world(app)
    tutor_client = sign_in(app.test_client(), world.tutor.user)
    tutor_client.get("/payments/stripe/onboarding?next=/dashboard")
    (account_id,) = fake.accounts
    (link,) = fake.calls("POST", "/v1/account_links")
    fake.finish_onboarding(account_id)  # its event is lost on the way

    back = tutor_client.get(link.params["return_url"].removeprefix("http://localhost"))

    assert back.status_code == 302
    assert back.headers["Location"] == "/dashboard"
    assert account_row(world.tutor.id).payable is True


def test_two_sites_sharing_a_stripe_account_never_share_a_tutor_account(
    app: Flask, fake: FakeStripe, database_url: str, tmp_path: object
) -> None:
    first = make_world(app).tutor
    provider = pm.hook.payment_provider()
    provider.payout_onboarding_url(first)

    # Another site (its own database, where a tutor also has id 1) on the same Stripe account.
    other_url = f"sqlite:///{tmp_path}/other.db"
    with app_in_context(other_url, **stripe_settings(fake)) as other:
        second = make_world(other).tutor
        assert second.id == first.id
        pm.hook.payment_provider().payout_onboarding_url(second)
        second_account = account_row(second.id).account_id

    keys = [call.idempotency_key for call in fake.calls("POST", "/v1/accounts")]
    assert len(set(keys)) == 2
    assert len(fake.accounts) == 2
    assert second_account != account_row(first.id).account_id
