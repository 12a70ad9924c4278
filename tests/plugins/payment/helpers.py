"""A tutor, a signed-in learner, and the steps the payment tests repeat."""

from __future__ import annotations

import secrets
import typing as t
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from lti_tool_payment.models import PayoutAccount
from lti_tool_payment.models import WebhookEvent
from werkzeug.test import TestResponse

from lti_tool.database import write_transaction
from lti_tool.models import AuditEntry
from lti_tool.models import Booking
from lti_tool.models import Payment
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.plugins import pm
from tests.booking import make_subject
from tests.booking import make_tutor
from tests.booking import make_user
from tests.booking import sign_in

from .fake_stripe import FakeStripe
from .stripe_objects import Json

#: Four hours after the tests' "now": inside the 24-hour cancellation cut-off.
SOON = "2030-01-07T10:00:00Z"
#: Two days after "now": a learner may still cancel for free.
LATER = "2030-01-09T10:00:00Z"
#: Stripe's path for creating a Checkout session, as :meth:`FakeStripe.calls` takes it.
CHECKOUT = "/v1/checkout/sessions"


@dataclass
class World:
    tutor: TutorProfile
    learner: User
    client: FlaskClient


def make_world(
    app: Flask,
    *,
    price_cents: int = 6000,
    payout_account: str | None = None,
    payable: bool = True,
) -> World:
    """A tutor (with a Connect account when *payout_account* is given, payable or not) and a
    signed-in learner."""
    tutor = make_tutor([make_subject()], name="Tess Tutor", price_cents=price_cents)
    if payout_account is not None:
        with write_transaction(db.session()):
            db.session.add(
                PayoutAccount(
                    provider="stripe",
                    tutor_id=tutor.id,
                    request_key=secrets.token_hex(16),
                    account_id=payout_account,
                    payable=payable,
                )
            )
    learner = make_user("Lena Learner", timezone="UTC")
    return World(tutor, learner, sign_in(app.test_client(), learner))


def book(world: World, start: str = SOON, duration: int = 60, **extra: t.Any) -> TestResponse:
    body = {
        "tutor_id": world.tutor.id,
        "subject": "algebra",
        "start": start,
        "duration": duration,
        **extra,
    }
    return world.client.post("/api/v1/bookings", json=body)


def last_checkout(fake: FakeStripe) -> str:
    return list(fake.sessions)[-1]


def checkout_id(url: str) -> str:
    """The Checkout session id at the end of a checkout page's URL."""
    return url.rsplit("/", 1)[1]


def post_event(
    client: FlaskClient, fake: FakeStripe, event: Json, timestamp: int | None = None
) -> TestResponse:
    body, signature = fake.signed(event, timestamp)
    return client.post(
        "/payments/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def pay(world: World, fake: FakeStripe, checkout_id: str | None = None) -> TestResponse:
    """The learner pays on Stripe and Stripe's webhook reaches the tool."""
    event = fake.complete(checkout_id or last_checkout(fake))
    return post_event(world.client, fake, event)


def paid_booking(world: World, fake: FakeStripe, start: str = SOON) -> Booking:
    booked = book(world, start)
    assert booked.status_code == 201, booked.json
    answer = pay(world, fake)
    assert answer.json == {"received": True, "event": answer.json["event"], "outcome": "confirmed"}
    return fresh(Booking, booked.json["id"])


M = t.TypeVar("M")


def fresh(model: type[M], ident: int) -> M:
    """The row as committed, not as this session last saw it."""
    db.session.rollback()
    row = db.session.get(model, ident)
    assert row is not None
    return row


def payment_of(booking_id: int) -> Payment:
    db.session.rollback()
    return db.session.scalars(sa.select(Payment).where(Payment.booking_id == booking_id)).one()


def audit_actions(booking_id: int) -> list[str]:
    db.session.rollback()
    rows = db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.entity_type == "booking", AuditEntry.entity_id == booking_id)
        .order_by(AuditEntry.id)
    )
    return list(rows)


def recorded_events() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(WebhookEvent.event_type).order_by(WebhookEvent.id)))


def dashboard_refund(fake: FakeStripe, intent: str, **params: t.Any) -> list[Json]:
    """Refund *intent* as from Stripe's dashboard, not through the tool; the events it made."""
    seen = len(fake.events)
    pm.hook.payment_provider().client.v1.refunds.create({"payment_intent": intent, **params})
    return fake.events[seen:]


def deliver_new_events(world: World, fake: FakeStripe, seen: int) -> list[str]:
    """Post the events the fake emitted since *seen*, as Stripe would; their outcomes."""
    client = world.client
    outcomes = []
    for event in fake.events[seen:]:
        answer = post_event(client, fake, event)
        assert answer.status_code == 200, answer.json
        outcomes.append(answer.json["outcome"])
    return outcomes
