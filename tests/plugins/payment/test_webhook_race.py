"""Stripe may deliver one event on several connections at once: exactly one of them acts."""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest
from flask import Flask
from lti_tool_payment import ledger

from lti_tool.models import Booking
from lti_tool.models import BookingState
from tests.live_server import live_server

from .fake_stripe import FakeStripe
from .helpers import audit_actions
from .helpers import book
from .helpers import fresh
from .helpers import last_checkout
from .helpers import make_world
from .helpers import recorded_events

DELIVERIES = 4


def test_simultaneous_deliveries_of_one_event_confirm_once(
    app: Flask, fake: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = threading.Barrier(DELIVERIES)
    first_look = threading.local()
    seen = ledger.event_seen

    def seen_by_all_at_once(event_id: str) -> bool:
        # Every delivery finds the event new before any of them acts on it: the worst case.
        answer = seen(event_id)
        if not getattr(first_look, "done", False):
            first_look.done = True
            checked.wait(timeout=10)
        return answer

    monkeypatch.setattr(ledger, "event_seen", seen_by_all_at_once)
    world = make_world(app)
    booking_id = book(world).json["id"]
    body, signature = fake.signed(fake.complete(last_checkout(fake)))
    start = threading.Barrier(DELIVERIES)
    answers: list[tuple[int, str]] = []

    def deliver(url: str) -> None:
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        start.wait(timeout=10)
        with urllib.request.urlopen(request, timeout=60) as response:
            answers.append((response.status, json.loads(response.read())["outcome"]))

    with live_server(app) as base_url:
        url = f"{base_url}/payments/stripe/webhook"
        threads = [threading.Thread(target=deliver, args=(url,)) for _ in range(DELIVERIES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert sorted(answers) == [(200, "confirmed")] + [(200, "duplicate")] * (DELIVERIES - 1)
    assert fresh(Booking, booking_id).state == BookingState.CONFIRMED
    assert audit_actions(booking_id) == ["held", "confirmed"]
    assert recorded_events() == ["checkout.session.completed"]
