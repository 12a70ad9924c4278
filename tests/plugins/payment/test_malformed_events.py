"""A correctly signed event whose object lacks what the handlers read is refused with 400.

The signature proves Stripe sent the body, not that the body has the expected shape; such an
event must be answered ``bad_event`` and leave no trace, so the well-formed delivery of the
same event id still takes effect afterwards.
"""

from __future__ import annotations

import copy
import typing as t
from collections.abc import Callable

import pytest
from flask import Flask

from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Payment
from tests.booking import count

from .fake_stripe import FakeStripe
from .helpers import book
from .helpers import fresh
from .helpers import last_checkout
from .helpers import make_world
from .helpers import post_event
from .helpers import recorded_events
from .stripe_objects import Json


def _set(path: str, value: t.Any) -> Callable[[Json], None]:
    """A change to the event: *path* is dotted from the event's ``data.object``."""

    def change(event: Json) -> None:
        target = event["data"]["object"]
        *parents, last = path.split(".")
        for name in parents:
            target = target[name]
        target[last] = value

    return change


def _drop_object_id(event: Json) -> None:
    del event["data"]["object"]["id"]


def _object_is_a_list(event: Json) -> None:
    event["data"]["object"] = []


def _no_data(event: Json) -> None:
    del event["data"]


MALFORMED: dict[str, tuple[Callable[[Json], None], str]] = {
    "object without id": (_drop_object_id, "bad_event"),
    "object id a number": (_set("id", 12), "bad_event"),
    "object id empty": (_set("id", ""), "bad_event"),
    "amount_total text": (_set("amount_total", "abc"), "bad_event"),
    "amount_total true": (_set("amount_total", True), "bad_event"),
    "amount_total a float": (_set("amount_total", 60.5), "bad_event"),
    "metadata a list": (_set("metadata", []), "bad_event"),
    "metadata value a number": (_set("metadata", {"booking_uid": 5}), "bad_event"),
    "currency a number": (_set("currency", 978), "bad_event"),
    "payment_status a list": (_set("payment_status", ["paid"]), "bad_event"),
    "payment_intent a number": (_set("payment_intent", 7), "bad_event"),
    "object a list": (_object_is_a_list, "bad_event"),
    "no data": (_no_data, "bad_event"),
    "amount_total beyond 64 bits": (_set("amount_total", 10**30), "bad_request"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_signed_malformed_event_is_refused_and_records_nothing(
    app: Flask, fake: FakeStripe, name: str
) -> None:
    world = make_world(app)
    booked = book(world)
    assert booked.status_code == 201, booked.json
    event = fake.complete(last_checkout(fake))
    payments = count(Payment)

    spoiled = copy.deepcopy(event)
    change, error = MALFORMED[name]
    change(spoiled)
    answer = post_event(world.client, fake, spoiled)

    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.json is not None
    assert answer.json["error"] == error and answer.json["detail"]
    assert recorded_events() == []
    assert count(Payment) == payments
    assert fresh(Booking, booked.json["id"]).state == BookingState.HELD

    # Nothing of the refused delivery stuck: the sound one is applied, not taken as a repeat.
    sound = post_event(world.client, fake, event)
    assert sound.status_code == 200, sound.get_data(as_text=True)
    assert sound.json is not None and sound.json["outcome"] == "confirmed"
    assert fresh(Booking, booked.json["id"]).state == BookingState.CONFIRMED
