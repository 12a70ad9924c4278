"""The fake Stripe refuses what Stripe refuses, in Stripe's shapes, and settles money the way
Stripe does; driven here with stripe-python, as the plugin drives it."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
import stripe

from tests.booking import FakeClock

from .fake_stripe import FakeStripe
from .fake_stripe import StripeFailure
from .stripe_objects import Json
from .stripe_objects import stripe_decimals

Call = Callable[[stripe.StripeClient], object]


@pytest.fixture
def api(fake: FakeStripe) -> Iterator[stripe.StripeClient]:
    yield stripe.StripeClient(
        "sk_test_x",
        base_addresses={"api": fake.url, "connect": fake.url},
        max_network_retries=0,
    )


def item(currency: str = "usd", unit_amount: int | str = 6000, quantity: int = 1) -> Json:
    return {
        "quantity": quantity,
        "price_data": {
            "currency": currency,
            "unit_amount": unit_amount,
            "product_data": {"name": "Algebra with Tess"},
        },
    }


def checkout(**changes: Any) -> Json:
    return {
        "mode": "payment",
        "line_items": [item()],
        "success_url": "http://localhost/bookings/1?checkout=success",
        **changes,
    }


def refusal(call: Callable[[], object]) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call()
    return caught.value


def paid(api: stripe.StripeClient, fake: FakeStripe, **changes: Any) -> str:
    """A completed checkout's PaymentIntent id."""
    session = api.v1.checkout.sessions.create(checkout(**changes))  # type: ignore[arg-type]
    fake.complete(session.id)
    return str(fake.sessions[session.id]["payment_intent"])


def destination_checkout(account: str, fee: int | None = 600, **intent: Any) -> Json:
    data: Json = {"transfer_data": {"destination": account}, **intent}
    if fee is not None:
        data["application_fee_amount"] = fee
    return {"payment_intent_data": data}


def kinds(events: list[Json]) -> list[str]:
    return [e["type"] for e in events]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


def fetch(address: str, method: str = "GET", **headers: str) -> tuple[int, str, Message]:
    """Status, body and headers of one request, redirects not followed."""
    body = b"" if method == "POST" else None
    request = urllib.request.Request(address, data=body, method=method, headers=headers)
    try:
        with urllib.request.build_opener(_NoRedirects()).open(request) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, exc.read().decode(), exc.headers
        finally:
            exc.close()


# -- 1. idempotency ---------------------------------------------------------------------------


def test_a_key_reused_for_the_same_request_gets_the_first_answer(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    first = api.v1.checkout.sessions.create(checkout(), {"idempotency_key": "k"})  # type: ignore[arg-type]
    again = api.v1.checkout.sessions.create(checkout(), {"idempotency_key": "k"})  # type: ignore[arg-type]

    assert again.id == first.id
    assert list(fake.sessions) == [first.id]
    assert [r.idempotency_key for r in fake.requests] == ["k", "k"]


def test_a_key_reused_with_other_parameters_or_elsewhere_is_an_idempotency_error(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    api.v1.checkout.sessions.create(checkout(), {"idempotency_key": "k"})  # type: ignore[arg-type]

    with pytest.raises(stripe.IdempotencyError) as other_params:
        api.v1.checkout.sessions.create(
            checkout(line_items=[item(unit_amount=7000)]),  # type: ignore[arg-type]
            {"idempotency_key": "k"},
        )
    with pytest.raises(stripe.IdempotencyError) as other_endpoint:
        api.v1.accounts.create({"type": "express"}, {"idempotency_key": "k"})

    assert other_params.value.http_status == 400
    assert other_params.value.error is not None
    assert other_params.value.error.type == "idempotency_error"
    assert other_params.value.user_message == (
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with. Try using a key other than 'k' if you meant to execute a different "
        "request."
    )
    assert str(other_endpoint.value.user_message).startswith(
        "Keys for idempotent requests can only be used for the same endpoint they were first "
        "used for ('POST /v1/accounts' vs 'POST /v1/checkout/sessions')."
    )
    assert len(fake.sessions) == 1 and fake.accounts == {}


def test_a_refused_request_leaves_its_key_free(api: stripe.StripeClient, fake: FakeStripe) -> None:
    refusal(lambda: api.v1.checkout.sessions.create({"mode": "payment"}, {"idempotency_key": "k"}))

    session = api.v1.checkout.sessions.create(checkout(), {"idempotency_key": "k"})  # type: ignore[arg-type]

    assert list(fake.sessions) == [session.id]


# -- 2. unknown parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda c: c.v1.checkout.sessions.create(checkout(colour="blue")), "colour"),
        (
            lambda c: c.v1.checkout.sessions.create(
                checkout(line_items=[{**item(), "price_data": {**item()["price_data"], "tax": 1}}])
            ),
            "line_items[0][price_data][tax]",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(
                checkout(payment_intent_data={"capture": "later"})
            ),
            "payment_intent_data[capture]",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(
                checkout(payment_intent_data={"transfer_data": {"destination": "a", "to": "b"}})
            ),
            "payment_intent_data[transfer_data][to]",
        ),
        (
            lambda c: c.v1.accounts.create(
                {"type": "express", "capabilities": {"card_issuing": {"requested": True}}}
            ),
            "capabilities[card_issuing]",
        ),
        (lambda c: c.v1.refunds.create({"payment_intent": "pi_x", "note": "x"}), "note"),
        (lambda c: c.v1.refunds.list({"customer": "cus_x"}), "customer"),
    ],
    ids=[
        "top",
        "price_data",
        "payment_intent_data",
        "transfer_data",
        "capabilities",
        "refund",
        "get",
    ],
)
def test_a_parameter_the_endpoint_does_not_know_is_refused(
    api: stripe.StripeClient, call: Call, name: str
) -> None:
    refused = refusal(lambda: call(api))

    assert (refused.http_status, refused.code, refused.param) == (400, "parameter_unknown", name)
    assert refused.user_message == f"Received unknown parameter: {name}"


def test_expand_is_known_everywhere(api: stripe.StripeClient, fake: FakeStripe) -> None:
    session = api.v1.checkout.sessions.create({**checkout(), "expand": ["payment_intent"]})  # type: ignore[arg-type]

    assert session.payment_intent is None
    assert api.v1.accounts.create({"type": "express", "expand": []}).object == "account"
    refused = refusal(lambda: api.v1.checkout.sessions.retrieve(session.id, {"expand": ["url"]}))
    assert (refused.param, refused.user_message) == (
        "expand",
        "This property cannot be expanded (url).",
    )


# -- 3. types, enums, required, metadata ------------------------------------------------------

LONG = "k" * 41
MANY = {f"key{n}": "v" for n in range(51)}


def _link(client: stripe.StripeClient, **changes: Any) -> object:
    account = client.v1.accounts.create({"type": "express"})
    params = {
        "account": account.id,
        "refresh_url": "http://localhost/again",
        "return_url": "http://localhost/back",
        "type": "account_onboarding",
        **changes,
    }
    return client.v1.account_links.create({k: v for k, v in params.items() if v is not None})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "code", "param", "message"),
    [
        (
            lambda c: c.v1.checkout.sessions.create(
                checkout(line_items=[item(unit_amount="12.5")])
            ),
            "parameter_invalid_integer",
            "line_items[0][price_data][unit_amount]",
            "Invalid integer: 12.5",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(checkout(line_items=[item(quantity=0)])),
            "parameter_invalid_integer",
            "line_items[0][quantity]",
            "This value must be greater than or equal to 1.",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(checkout(expires_at="soon")),
            "parameter_invalid_integer",
            "expires_at",
            "Invalid integer: soon",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(
                checkout(payment_intent_data={"application_fee_amount": -1})
            ),
            "parameter_invalid_integer",
            "payment_intent_data[application_fee_amount]",
            "This value must be greater than or equal to 0.",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(checkout(mode="donation")),
            None,
            "mode",
            "Invalid mode: must be one of payment, setup, or subscription",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(checkout(mode="setup")),
            None,
            "mode",
            "mode=setup is valid at Stripe but this fake implements only payment",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(
                checkout(payment_method_types=["card", "cheque"])
            ),
            None,
            "payment_method_types[1]",
            "Invalid payment_method_types[1]: must be one of acss_debit, affirm,",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(checkout(success_url="")),
            "parameter_invalid_empty",
            "success_url",
            "You passed an empty string for 'success_url'.",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(
                {k: v for k, v in checkout().items() if k != "success_url"}
            ),
            "parameter_missing",
            "success_url",
            "Missing required param: success_url.",
        ),
        (
            lambda c: c.v1.checkout.sessions.create({"mode": "payment", "success_url": "http://x"}),
            "parameter_missing",
            "line_items",
            "Missing required param: line_items.",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(
                checkout(line_items=[{"quantity": 1, "price_data": {"currency": "usd"}}])
            ),
            "parameter_missing",
            "line_items[0][price_data][unit_amount]",
            "Missing required param: line_items[0][price_data][unit_amount].",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(
                checkout(
                    line_items=[
                        {
                            "quantity": 1,
                            "price_data": {
                                "currency": "usd",
                                "unit_amount": 100,
                                "product_data": {"description": "no name"},
                            },
                        }
                    ]
                )
            ),
            "parameter_missing",
            "line_items[0][price_data][product_data][name]",
            "Missing required param: line_items[0][price_data][product_data][name].",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(
                checkout(line_items=[{"price_data": item()["price_data"]}])
            ),
            "parameter_missing",
            "line_items[0][quantity]",
            "Missing required param: line_items[0][quantity].",
        ),
        (
            lambda c: c.v1.refunds.create({"payment_intent": "pi_x", "reason": "changed_mind"}),
            None,
            "reason",
            "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
        ),
        (
            lambda c: c.v1.refunds.create({"payment_intent": "pi_x", "amount": 0}),
            "parameter_invalid_integer",
            "amount",
            "This value must be greater than or equal to 1.",
        ),
        (
            lambda c: c.v1.refunds.create({"payment_intent": "pi_x", "reverse_transfer": "yes"}),
            None,
            "reverse_transfer",
            "Invalid boolean: yes",
        ),
        (
            lambda c: c.v1.accounts.create({"type": "premium"}),
            None,
            "type",
            "Invalid type: must be one of custom, express, or standard",
        ),
        (
            lambda c: c.v1.accounts.create(
                {"type": "express", "capabilities": {"transfers": {"requested": "maybe"}}}
            ),
            None,
            "capabilities[transfers][requested]",
            "Invalid boolean: maybe",
        ),
        (
            lambda c: _link(c, type="account_onboard"),
            None,
            "type",
            "Invalid type: must be one of account_onboarding, or account_update",
        ),
        (
            lambda c: _link(c, return_url=None),
            "parameter_missing",
            "return_url",
            "Missing required param: return_url.",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(checkout(metadata=MANY)),
            None,
            "metadata",
            "Invalid metadata: it can have at most 50 keys, not 51",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(checkout(metadata={LONG: "v"})),
            None,
            "metadata",
            f"Invalid key: {LONG} must be a string of at most 40 characters",
        ),
        (
            lambda c: c.v1.refunds.create({"payment_intent": "pi_x", "metadata": {"a": "v" * 501}}),
            None,
            "metadata",
            "Invalid value for metadata[a]: it must be a string of at most 500 characters",
        ),
        (
            lambda c: c.v1.checkout.sessions.create(
                checkout(payment_intent_data={"metadata": {"a": "v" * 501}})
            ),
            None,
            "payment_intent_data[metadata]",
            "Invalid value for payment_intent_data[metadata][a]",
        ),
    ],
)
def test_values_of_the_wrong_type_outside_the_enum_or_missing_are_refused(
    api: stripe.StripeClient, call: Call, code: str | None, param: str, message: str
) -> None:
    refused = refusal(lambda: call(api))

    assert (refused.http_status, refused.code, refused.param) == (400, code, param)
    assert str(refused.user_message).startswith(message)


def test_metadata_at_its_limits_and_every_payment_method_type_are_accepted(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    at_limit = {f"{n:02d}".ljust(40, "k"): "v" * 500 for n in range(50)}
    methods = ["card", "link", "klarna", "us_bank_account", "sepa_debit", "wechat_pay", "zip"]

    session = api.v1.checkout.sessions.create(
        checkout(metadata=at_limit, payment_method_types=methods)  # type: ignore[arg-type]
    )

    assert fake.sessions[session.id]["metadata"] == at_limit
    assert session.payment_method_types == methods


# -- 4. currencies ----------------------------------------------------------------------------


def test_stripe_decimals_follow_stripe_not_iso() -> None:
    assert [stripe_decimals(c) for c in ("usd", "JPY", "krw", "mga", "kwd", "bhd", "isk")] == [
        2,
        0,
        0,
        0,
        3,
        3,
        2,
    ]


@pytest.mark.parametrize(
    ("currency", "unit_amount", "shown"),
    [("jpy", 3500, "3500 JPY"), ("kwd", 12500, "12.500 KWD"), ("usd", 3500, "35.00 USD")],
)
def test_the_payment_page_shows_the_amount_in_the_currency_unit(
    api: stripe.StripeClient, currency: str, unit_amount: int, shown: str
) -> None:
    session = api.v1.checkout.sessions.create(
        checkout(line_items=[item(currency, unit_amount)])  # type: ignore[arg-type]
    )

    assert session.amount_total == unit_amount
    assert session.url is not None
    assert f"Pay {shown}" in fetch(session.url)[1]


@pytest.mark.parametrize(
    ("currency", "unit_amount", "code", "message"),
    [
        ("USD", 6000, None, "Invalid currency: USD."),
        ("xyz", 6000, None, "Invalid currency: xyz."),
        (
            "kwd",
            12345,
            "invalid_charge_amount",
            "Invalid line_items[0][price_data][unit_amount]: in KWD the amount must be rounded to "
            "the nearest ten",
        ),
        ("bhd", 1001, "invalid_charge_amount", "Invalid line_items[0][price_data][unit_amount]"),
        (
            "isk",
            50050,
            "invalid_charge_amount_no_decimal_compatible",
            "Invalid line_items[0][price_data][unit_amount]: ISK amounts are given in hundredths",
        ),
    ],
)
def test_a_currency_refuses_what_it_cannot_carry(
    api: stripe.StripeClient, currency: str, unit_amount: int, code: str | None, message: str
) -> None:
    refused = refusal(
        lambda: api.v1.checkout.sessions.create(checkout(line_items=[item(currency, unit_amount)]))  # type: ignore[arg-type]
    )

    assert (refused.http_status, refused.code) == (400, code)
    name = "currency" if code is None else "unit_amount"
    assert refused.param == f"line_items[0][price_data][{name}]"
    assert str(refused.user_message).startswith(message)


@pytest.mark.parametrize(
    ("currency", "too_small", "enough", "least"),
    [
        ("usd", 49, 50, "0.50 USD"),
        ("eur", 49, 50, "0.50 EUR"),
        ("gbp", 29, 30, "0.30 GBP"),
        ("jpy", 49, 50, "50 JPY"),
        ("kwd", 150, 160, "0.160 KWD"),
    ],
)
def test_a_payment_below_the_currency_minimum_is_refused(
    api: stripe.StripeClient, currency: str, too_small: int, enough: int, least: str
) -> None:
    refused = refusal(
        lambda: api.v1.checkout.sessions.create(checkout(line_items=[item(currency, too_small)]))  # type: ignore[arg-type]
    )

    assert (refused.code, refused.param) == ("amount_too_small", None)
    assert refused.user_message == (
        f"The Checkout Session's total amount due must add up to at least {least}"
    )
    assert (
        api.v1.checkout.sessions.create(
            checkout(line_items=[item(currency, enough)])  # type: ignore[arg-type]
        ).amount_total
        == enough
    )


def test_whole_units_in_kwd_isk_and_currencies_without_a_minimum_are_accepted(
    api: stripe.StripeClient,
) -> None:
    for currency, amount in (("kwd", 12500), ("isk", 50000), ("chf", 1), ("krw", 1000)):
        session = api.v1.checkout.sessions.create(
            checkout(line_items=[item(currency, amount)])  # type: ignore[arg-type]
        )
        assert (session.currency, session.amount_total) == (currency, amount)


def test_line_items_share_one_currency(api: stripe.StripeClient) -> None:
    refused = refusal(
        lambda: api.v1.checkout.sessions.create(
            checkout(line_items=[item("usd"), item("eur")])  # type: ignore[arg-type]
        )
    )

    assert refused.param == "line_items[1][price_data][currency]"


# -- 5. Connect -------------------------------------------------------------------------------


def test_a_new_account_can_receive_nothing_until_onboarding_finishes(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    created = api.v1.accounts.create(
        {
            "type": "express",
            "capabilities": {
                "transfers": {"requested": True},
                "card_payments": {"requested": True},
            },
            "metadata": {"tutor_id": "7"},
        }
    )
    account = api.v1.accounts.retrieve(created.id).to_dict()

    assert account["capabilities"] == {"transfers": "inactive", "card_payments": "inactive"}
    assert (account["charges_enabled"], account["payouts_enabled"]) == (False, False)
    assert account["details_submitted"] is False
    assert account["requirements"]["currently_due"] == ["external_account", "tos_acceptance.date"]
    assert account["requirements"]["disabled_reason"] == "requirements.past_due"
    assert account["metadata"] == {"tutor_id": "7"}
    refused = refusal(
        lambda: api.v1.checkout.sessions.create(checkout(**destination_checkout(created.id)))  # type: ignore[arg-type]
    )
    assert (refused.code, refused.param) == (
        "insufficient_capabilities_for_transfer",
        "payment_intent_data[transfer_data][destination]",
    )
    assert refused.user_message == (
        "Your destination account needs to have at least one of the following capabilities "
        "enabled: transfers, crypto_transfers, legacy_payments"
    )

    event = fake.finish_onboarding(created.id)

    assert (event["type"], event["account"]) == ("account.updated", created.id)
    now = event["data"]["object"]
    assert now["capabilities"] == {"transfers": "active", "card_payments": "active"}
    assert (now["charges_enabled"], now["payouts_enabled"], now["details_submitted"]) == (
        True,
        True,
        True,
    )
    assert now["requirements"]["currently_due"] == []
    assert now["requirements"]["disabled_reason"] is None
    before = event["data"]["previous_attributes"]
    assert before["capabilities"] == {"transfers": "inactive", "card_payments": "inactive"}
    assert before["charges_enabled"] is False
    assert before["requirements"]["currently_due"] == ["external_account", "tos_acceptance.date"]
    assert api.v1.accounts.retrieve(created.id).charges_enabled is True
    session = api.v1.checkout.sessions.create(checkout(**destination_checkout(created.id)))  # type: ignore[arg-type]
    assert session.status == "open"


def test_account_links_and_destinations_must_name_an_existing_account(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    link = refusal(
        lambda: api.v1.account_links.create(
            {
                "account": "acct_missing",
                "refresh_url": "http://localhost/again",
                "return_url": "http://localhost/back",
                "type": "account_onboarding",
            }
        )
    )
    destination = refusal(
        lambda: api.v1.checkout.sessions.create(checkout(**destination_checkout("acct_missing")))  # type: ignore[arg-type]
    )
    retrieved = refusal(lambda: api.v1.accounts.retrieve("acct_missing"))

    assert (link.code, link.param, link.user_message) == (
        "resource_missing",
        "account",
        "No such account: 'acct_missing'",
    )
    assert (destination.code, destination.param, destination.user_message) == (
        "resource_missing",
        "payment_intent_data[transfer_data][destination]",
        "No such destination: 'acct_missing'",
    )
    assert (retrieved.http_status, retrieved.code) == (404, "resource_missing")
    account = api.v1.accounts.create({"type": "express"})
    made = api.v1.account_links.create(
        {
            "account": account.id,
            "refresh_url": "http://localhost/again",
            "return_url": "http://localhost/back",
            "type": "account_onboarding",
        }
    )
    assert made.url == f"{fake.url}/connect/onboarding/{account.id}"


def test_an_application_fee_needs_a_connected_account_and_fits_in_the_payment(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    account = fake.active_account()
    without = refusal(
        lambda: api.v1.checkout.sessions.create(
            checkout(payment_intent_data={"application_fee_amount": 600})  # type: ignore[arg-type]
        )
    )
    too_big = refusal(
        lambda: api.v1.checkout.sessions.create(checkout(**destination_checkout(account, 6001)))  # type: ignore[arg-type]
    )

    assert (without.http_status, without.param) == (
        400,
        "payment_intent_data[application_fee_amount]",
    )
    assert (too_big.http_status, too_big.param) == (
        400,
        "payment_intent_data[application_fee_amount]",
    )
    assert "cannot be greater than the amount of the payment (6000)" in str(too_big.user_message)
    whole = api.v1.checkout.sessions.create(checkout(**destination_checkout(account, 6000)))  # type: ignore[arg-type]
    assert whole.amount_total == 6000


# -- 6. PaymentIntents, charges, application fees ---------------------------------------------


def test_a_destination_payment_leaves_a_charge_a_transfer_and_an_application_fee(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    account = fake.active_account()
    pid = paid(api, fake, **destination_checkout(account, 600))

    intent = api.v1.payment_intents.retrieve(pid)
    expanded = api.v1.payment_intents.retrieve(pid, {"expand": ["latest_charge"]})

    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 6000, 6000)
    assert isinstance(intent.latest_charge, str) and intent.latest_charge.startswith("ch_")
    charge = expanded.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert charge.id == intent.latest_charge
    assert (charge.amount, charge.amount_refunded, charge.refunded) == (6000, 0, False)
    assert (charge.currency, charge.payment_intent, charge.status) == ("usd", pid, "succeeded")
    assert charge.application_fee_amount == 600
    assert str(charge.transfer).startswith("tr_")
    assert str(charge.balance_transaction).startswith("txn_")
    assert api.v1.charges.retrieve(charge.id).application_fee == charge.application_fee
    fee = api.v1.application_fees.retrieve(str(charge.application_fee))
    assert (fee.object, fee.amount, fee.amount_refunded) == ("application_fee", 600, 0)
    assert (fee.charge, fee.account, fee.refunds.data) == (charge.id, account, [])


def test_an_application_fee_is_refunded_up_to_what_is_left(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    pid = paid(api, fake, **destination_checkout(fake.active_account(), 600))
    fee_id = str(fake.charges[fake.intents[pid]["latest_charge"]]["application_fee"])
    seen = len(fake.events)

    back = api.v1.application_fees.refunds.create(fee_id, {"amount": 500})

    assert back.id.startswith("fr_")
    assert (back.object, back.amount, back.fee, back.currency) == ("fee_refund", 500, fee_id, "usd")
    (event,) = fake.events[seen:]
    assert event["type"] == "application_fee.refunded"
    assert event["data"]["object"]["amount_refunded"] == 500
    assert [r["id"] for r in event["data"]["object"]["refunds"]["data"]] == [back.id]
    too_much = refusal(lambda: api.v1.application_fees.refunds.create(fee_id, {"amount": 101}))
    assert (too_much.code, too_much.param) == ("amount_too_large", "amount")
    assert api.v1.application_fees.refunds.create(fee_id).amount == 100
    assert api.v1.application_fees.retrieve(fee_id).refunded is True
    done = refusal(lambda: api.v1.application_fees.refunds.create(fee_id))
    assert done.user_message == f"Application fee {fee_id} has already been refunded."


def test_a_plain_payment_has_no_fee_or_transfer_and_may_be_paid_another_amount(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    session = api.v1.checkout.sessions.create(checkout())  # type: ignore[arg-type]

    completed = fake.complete(session.id, amount_total=5000)

    assert completed["data"]["object"]["amount_total"] == 5000
    intent = api.v1.payment_intents.retrieve(
        str(fake.sessions[session.id]["payment_intent"]), {"expand": ["latest_charge"]}
    )
    assert intent.amount == 5000
    charge = intent.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert (charge.amount, charge.application_fee, charge.transfer) == (5000, None, None)
    missing = refusal(lambda: api.v1.charges.retrieve("ch_missing"))
    assert (missing.http_status, missing.code) == (404, "resource_missing")


# -- 7. refunds -------------------------------------------------------------------------------


def test_a_refund_takes_back_at_most_what_pending_and_succeeded_refunds_left(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    pid = paid(api, fake)
    fake.next_refund("pending")
    first = api.v1.refunds.create({"payment_intent": pid, "amount": 4000})
    assert first.status == "pending"

    refused = refusal(lambda: api.v1.refunds.create({"payment_intent": pid, "amount": 2001}))

    assert (refused.code, refused.param) == ("amount_too_large", "amount")
    assert refused.user_message == (
        "Refund amount (20.01 USD) is greater than unrefunded amount on charge (20.00 USD)"
    )
    fake.settle_refund(first.id, "failed", failure_reason="expired_or_canceled_card")
    # A failed refund holds nothing back: all of it can be refunded again.
    whole = api.v1.refunds.create({"payment_intent": pid})
    assert (whole.amount, whole.status) == (6000, "succeeded")
    again = refusal(lambda: api.v1.refunds.create({"payment_intent": pid}))
    assert again.code == "charge_already_refunded"
    unknown = refusal(lambda: api.v1.refunds.create({"payment_intent": "pi_missing"}))
    assert (unknown.code, unknown.param) == ("resource_missing", "payment_intent")
    neither = refusal(lambda: api.v1.refunds.create({"amount": 100}))
    assert neither.code == "parameter_missing"


def test_reversing_a_transfer_or_refunding_a_fee_needs_one_to_exist(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    plain = paid(api, fake)
    no_transfer = refusal(
        lambda: api.v1.refunds.create({"payment_intent": plain, "reverse_transfer": True})
    )
    no_fee = refusal(
        lambda: api.v1.refunds.create({"payment_intent": plain, "refund_application_fee": True})
    )
    assert (no_transfer.http_status, no_transfer.param) == (400, "reverse_transfer")
    assert (no_fee.http_status, no_fee.param) == (400, "refund_application_fee")
    connected = paid(api, fake, **destination_checkout(fake.active_account(), 600))
    seen = len(fake.events)

    refund = api.v1.refunds.create(
        {
            "payment_intent": connected,
            "amount": 3000,
            "reverse_transfer": True,
            "refund_application_fee": True,
        }
    )

    assert str(refund.transfer_reversal).startswith("trr_")
    assert refund.source_transfer_reversal is None
    assert kinds(fake.events[seen:]) == [
        "charge.refunded",
        "refund.created",
        "application_fee.refunded",
    ]
    fee = fake.application_fees[str(fake.charges[str(refund.charge)]["application_fee"])]
    assert fee["amount_refunded"] == 300  # in proportion: half the charge, half the fee


def test_a_refund_pending_then_failed_sends_stripes_events_and_gives_the_amount_back(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    pid = paid(api, fake)
    fake.next_refund("pending")
    seen = len(fake.events)

    refund = api.v1.refunds.create(
        {
            "payment_intent": pid,
            "amount": 6000,
            "reason": "requested_by_customer",
            "metadata": {"refund_key": "r1"},
        },
        {"idempotency_key": "r1"},
    )

    created = fake.events[seen:]
    assert kinds(created) == ["charge.refunded", "refund.created"]
    charge = created[0]["data"]["object"]
    assert (charge["id"], charge["amount_refunded"], charge["refunded"]) == (
        refund.charge,
        6000,
        True,
    )
    assert created[1]["data"]["object"] == refund.to_dict()
    assert created[1]["request"]["idempotency_key"] == "r1"
    assert refund.to_dict() == {
        "id": refund.id,
        "object": "refund",
        "amount": 6000,
        "currency": "usd",
        "payment_intent": pid,
        "charge": refund.charge,
        "status": "pending",
        "failure_reason": None,
        "reason": "requested_by_customer",
        "metadata": {"refund_key": "r1"},
        "created": refund.created,
        "balance_transaction": refund.balance_transaction,
        "transfer_reversal": None,
        "source_transfer_reversal": None,
    }
    seen = len(fake.events)

    fake.settle_refund(refund.id, "failed", failure_reason="expired_or_canceled_card")

    settled = fake.events[seen:]
    assert kinds(settled) == ["refund.updated", "refund.failed", "charge.refund.updated"]
    for event in settled:
        assert event["data"]["object"]["id"] == refund.id
        assert event["data"]["object"]["status"] == "failed"
        assert event["data"]["object"]["failure_reason"] == "expired_or_canceled_card"
        assert event["data"]["previous_attributes"] == {"status": "pending", "failure_reason": None}
    after = api.v1.charges.retrieve(str(refund.charge))
    assert (after.amount_refunded, after.refunded) == (0, False)
    assert api.v1.refunds.retrieve(refund.id).status == "failed"


def test_a_refund_settles_only_forward(api: stripe.StripeClient, fake: FakeStripe) -> None:
    pid = paid(api, fake)
    fake.next_refund("pending")
    pending = api.v1.refunds.create({"payment_intent": pid, "amount": 1000})
    done = api.v1.refunds.create({"payment_intent": pid, "amount": 1000})

    fake.settle_refund(pending.id, "succeeded")
    fake.settle_refund(done.id, "failed")

    assert fake.refunds[pending.id]["status"] == "succeeded"
    assert (fake.refunds[done.id]["status"], fake.refunds[done.id]["failure_reason"]) == (
        "failed",
        "unknown",
    )
    assert fake.charges[str(pending.charge)]["amount_refunded"] == 1000
    with pytest.raises(ValueError):
        fake.settle_refund(done.id, "succeeded")
    with pytest.raises(ValueError):
        fake.settle_refund(pending.id, "failed", failure_reason="bored")
    with pytest.raises(ValueError):
        fake.next_refund("failed")


def test_refunds_are_listed_newest_first_for_one_payment(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    pid, other = paid(api, fake), paid(api, fake)
    first = api.v1.refunds.create({"payment_intent": pid, "amount": 1000})
    second = api.v1.refunds.create({"payment_intent": pid, "amount": 1000})
    api.v1.refunds.create({"payment_intent": other, "amount": 1000})

    listed = api.v1.refunds.list({"payment_intent": pid})
    page = api.v1.refunds.list({"payment_intent": pid, "limit": 1})

    assert (listed.object, listed.url, listed.has_more) == ("list", "/v1/refunds", False)
    assert [r.id for r in listed.data] == [second.id, first.id]
    assert ([r.id for r in page.data], page.has_more) == ([second.id], True)
    too_many = refusal(lambda: api.v1.refunds.list({"limit": 101}))
    assert (too_many.code, too_many.param) == ("parameter_invalid_integer", "limit")


# -- 8. Checkout Sessions ---------------------------------------------------------------------


def test_a_session_reports_its_payment_methods_and_amounts(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    default = api.v1.checkout.sessions.create(checkout(line_items=[item(quantity=2)]))  # type: ignore[arg-type]
    chosen = api.v1.checkout.sessions.create(checkout(payment_method_types=["card", "link"]))  # type: ignore[arg-type]

    assert default.payment_method_types == ["card"]
    assert (default.amount_subtotal, default.amount_total) == (12000, 12000)
    assert (default.status, default.payment_status) == ("open", "unpaid")
    assert chosen.payment_method_types == ["card", "link"]
    pid = paid(api, fake)
    (found,) = api.v1.checkout.sessions.list({"payment_intent": pid, "limit": 1}).data
    assert found.payment_intent == pid


def test_expires_at_is_thirty_minutes_to_a_day_away(
    api: stripe.StripeClient, clock: FakeClock
) -> None:
    now = int(clock().timestamp())

    early = refusal(
        lambda: api.v1.checkout.sessions.create(checkout(expires_at=now + 29 * 60))  # type: ignore[arg-type]
    )
    late = refusal(
        lambda: api.v1.checkout.sessions.create(checkout(expires_at=now + 24 * 3600 + 1))  # type: ignore[arg-type]
    )

    assert (early.param, late.param) == ("expires_at", "expires_at")
    assert "at least 30 minutes" in str(early.user_message)
    assert "less than 24 hours" in str(late.user_message)


def test_a_delayed_payment_completes_unpaid_then_succeeds_or_fails(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    arrives = api.v1.checkout.sessions.create(checkout(payment_method_types=["sepa_debit"]))  # type: ignore[arg-type]
    bounces = api.v1.checkout.sessions.create(checkout(payment_method_types=["sepa_debit"]))  # type: ignore[arg-type]

    completed = fake.complete(arrives.id, payment_status="unpaid")
    fake.complete(bounces.id, payment_status="unpaid")

    session = completed["data"]["object"]
    assert (session["status"], session["payment_status"]) == ("complete", "unpaid")
    pid = str(session["payment_intent"])
    assert api.v1.payment_intents.retrieve(pid).status == "processing"
    not_yet = refusal(lambda: api.v1.refunds.create({"payment_intent": pid}))
    assert not_yet.http_status == 400

    succeeded = fake.async_succeed(arrives.id)
    failed = fake.async_fail(bounces.id)

    assert succeeded["type"] == "checkout.session.async_payment_succeeded"
    assert succeeded["data"]["object"]["payment_status"] == "paid"
    assert api.v1.payment_intents.retrieve(pid).status == "succeeded"
    assert failed["type"] == "checkout.session.async_payment_failed"
    assert failed["data"]["object"]["payment_status"] == "unpaid"
    failed_intent = str(failed["data"]["object"]["payment_intent"])
    assert api.v1.payment_intents.retrieve(failed_intent).status == "requires_payment_method"
    with pytest.raises(ValueError):
        fake.async_succeed(bounces.id)


def test_only_an_open_session_can_be_expired_or_paid(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    completed = api.v1.checkout.sessions.create(checkout())  # type: ignore[arg-type]
    fake.complete(completed.id)
    abandoned = api.v1.checkout.sessions.create(checkout())  # type: ignore[arg-type]

    refused = refusal(lambda: api.v1.checkout.sessions.expire(completed.id))
    expired = api.v1.checkout.sessions.expire(abandoned.id)

    assert refused.user_message == "This Checkout Session is complete."
    assert expired.status == "expired"
    with pytest.raises(StripeFailure):
        fake.complete(abandoned.id)


def test_a_session_past_its_expires_at_cannot_be_paid(
    api: stripe.StripeClient, fake: FakeStripe, clock: FakeClock
) -> None:
    now = int(clock().timestamp())
    session = api.v1.checkout.sessions.create(checkout(expires_at=now + 3600))  # type: ignore[arg-type]
    clock.advance(hours=1)  # the last second it is open
    assert api.v1.checkout.sessions.retrieve(session.id).status == "open"
    clock.advance(seconds=1)
    seen = len(fake.events)

    with pytest.raises(StripeFailure) as caught:
        fake.complete(session.id)

    assert caught.value.message == "This Checkout Session is expired."
    assert kinds(fake.events[seen:]) == ["checkout.session.expired"]
    assert api.v1.checkout.sessions.retrieve(session.id).status == "expired"
    assert session.url is not None
    status, page, _ = fetch(session.url)
    assert status == 200 and "expired" in page and 'data-testid="pay"' not in page
    assert fetch(session.url, "POST")[:2] == (410, "This Checkout Session is expired.")


def test_the_pay_page_completes_an_open_session(api: stripe.StripeClient, fake: FakeStripe) -> None:
    session = api.v1.checkout.sessions.create(checkout())  # type: ignore[arg-type]
    assert session.url is not None

    status, _, headers = fetch(session.url, "POST")

    assert status == 303
    assert headers["Location"] == "http://localhost/bookings/1?checkout=success"
    assert fake.sessions[session.id]["payment_status"] == "paid"
    assert kinds(fake.events) == ["checkout.session.completed"]


# -- beyond the parameters: an unreachable Stripe, unknown URLs -------------------------------


def test_while_stripe_is_down_requests_fail_unseen(
    api: stripe.StripeClient, fake: FakeStripe
) -> None:
    with fake.unreachable(), pytest.raises(stripe.APIError) as caught:
        api.v1.checkout.sessions.create(checkout())  # type: ignore[arg-type]

    assert caught.value.http_status == 503
    assert fake.requests == []
    assert api.v1.checkout.sessions.create(checkout()).status == "open"  # type: ignore[arg-type]


def test_an_unknown_url_or_a_missing_key_is_answered_as_stripe_does(fake: FakeStripe) -> None:
    status, body, _ = fetch(f"{fake.url}/v1/nothing", Authorization="Bearer sk_test_x")

    assert status == 404
    assert '"type": "invalid_request_error"' in body
    assert "Unrecognized request URL (GET: /v1/nothing)." in body
    assert fetch(f"{fake.url}/v1/refunds")[0] == 401
