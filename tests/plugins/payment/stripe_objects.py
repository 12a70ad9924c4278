"""Stripe's wire formats and rules, as the fake server needs them: form decoding, webhook
signatures, the checks Stripe makes on parameters and amounts, and objects in the shapes Stripe
documents (only the fields the tool or the tests read, plus the identifying ones)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

Json = dict[str, Any]


class StripeFailure(Exception):
    """A refusal, answered as Stripe answers one: ``{"error": {...}}`` with HTTP *status*.

    *kind* is the error's ``type`` (``invalid_request_error``, ``idempotency_error``,
    ``api_error``); stripe-python picks its exception class from it and the status."""

    def __init__(
        self,
        status: int,
        message: str,
        param: str | None = None,
        *,
        code: str | None = None,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param = status, message, param
        self.code, self.kind = code, kind

    def body(self) -> Json:
        # Stripe leaves out what does not apply rather than sending nulls.
        error: Json = {"type": self.kind, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


def missing(name: str) -> StripeFailure:
    return StripeFailure(400, f"Missing required param: {name}.", name, code="parameter_missing")


def no_such(kind: str, ident: str, param: str, status: int = 400) -> StripeFailure:
    """An id that names nothing: 404 when it is in the path, 400 when it is a parameter."""
    return StripeFailure(status, f"No such {kind}: '{ident}'", param, code="resource_missing")


def new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


# -- requests ---------------------------------------------------------------------------------


def decode_form(pairs: Iterable[tuple[str, str]]) -> Json:
    """``line_items[0][price_data][currency]=usd`` pairs back into nested dicts and lists
    (``expand[]=a`` as well as stripe-python's ``expand[0]=a``).

    :raises StripeFailure: one name used both for a value and for nested ones.
    """
    root: Json = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head, *re.findall(r"([^\[\]]*)\]", "[" + rest)] if rest else [head]
        node = root
        for depth, part in enumerate(parts):
            if part == "":
                part = str(len(node))
            if depth == len(parts) - 1:
                node[part] = value
                break
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise StripeFailure(400, "Invalid hash", head, code="parameter_invalid_hash")
            node = child
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    node = {key: _listify(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


@dataclass(frozen=True)
class Param:
    """What one parameter may hold; build these with the functions below."""

    kind: str
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    modelled: tuple[str, ...] = ()
    """Of *choices*, those the fake implements; the others are valid at Stripe but refused."""
    fields: Mapping[str, Param] = field(default_factory=dict)
    item: Param | None = None


def text(*, required: bool = False) -> Param:
    return Param("string", required)


def url(*, required: bool = False) -> Param:
    return Param("url", required)


def integer(
    minimum: int | None = None, maximum: int | None = None, *, required: bool = False
) -> Param:
    return Param("integer", required, minimum, maximum)


def boolean() -> Param:
    return Param("boolean")


def currency(*, required: bool = False) -> Param:
    return Param("currency", required)


def one_of(*choices: str, modelled: tuple[str, ...] = (), required: bool = False) -> Param:
    return Param("enum", required, choices=choices, modelled=modelled)


def metadata() -> Param:
    return Param("metadata")


def nested(*, required: bool = False, **fields: Param) -> Param:
    return Param("hash", required, fields=fields)


def array(item: Param, *, required: bool = False) -> Param:
    return Param("array", required, item=item)


EXPAND = array(text())
METADATA_KEYS, METADATA_KEY_LENGTH, METADATA_VALUE_LENGTH = 50, 40, 500


def check(params: Json, fields: Mapping[str, Param], within: str = "") -> None:
    """Refuse *params* as Stripe would: a name it does not know, a value of the wrong type
    or outside its enum, a required one missing. ``expand`` is known at the top level of
    every endpoint. Names in the errors are Stripe's bracketed paths.

    :raises StripeFailure: the first problem found.
    """
    known = fields if within else {**fields, "expand": EXPAND}
    for key, value in params.items():
        name = f"{within}[{key}]" if within else key
        spec = known.get(key)
        if spec is None:
            raise StripeFailure(
                400, f"Received unknown parameter: {name}", name, code="parameter_unknown"
            )
        _check_value(value, spec, name)
    for key, spec in fields.items():
        if spec.required and key not in params:
            raise missing(f"{within}[{key}]" if within else key)


def _check_value(value: Any, spec: Param, name: str) -> None:
    if spec.kind == "metadata":
        _check_metadata(value, name)
        return
    if value == "":
        # An empty string asks Stripe to unset a field; on creation nothing can be unset.
        raise StripeFailure(
            400,
            f"You passed an empty string for '{name}'. We assume empty values are an attempt "
            f"to unset a parameter; however '{name}' cannot be unset. You should remove "
            f"'{name}' from your request or supply a non-empty value.",
            name,
            code="parameter_invalid_empty",
        )
    if spec.kind == "hash":
        if not isinstance(value, dict):
            raise StripeFailure(400, "Invalid hash", name, code="parameter_invalid_hash")
        check(value, spec.fields, name)
    elif spec.kind == "array":
        if not isinstance(value, list) or spec.item is None:
            raise StripeFailure(400, "Invalid array", name, code="parameter_invalid_array")
        for index, item in enumerate(value):
            _check_value(item, spec.item, f"{name}[{index}]")
    elif not isinstance(value, str):
        raise StripeFailure(400, f"Invalid {spec.kind}: not a single value", name)
    else:
        _check_scalar(value, spec, name)


def _check_scalar(value: str, spec: Param, name: str) -> None:
    if spec.kind == "integer":
        if not re.fullmatch(r"-?\d+", value):
            raise StripeFailure(
                400, f"Invalid integer: {value}", name, code="parameter_invalid_integer"
            )
        if spec.minimum is not None and int(value) < spec.minimum:
            raise StripeFailure(
                400,
                f"This value must be greater than or equal to {spec.minimum}.",
                name,
                code="parameter_invalid_integer",
            )
        if spec.maximum is not None and int(value) > spec.maximum:
            raise StripeFailure(
                400,
                f"This value must be less than or equal to {spec.maximum}.",
                name,
                code="parameter_invalid_integer",
            )
    elif spec.kind == "boolean" and value not in ("true", "false"):
        raise StripeFailure(400, f"Invalid boolean: {value}", name)
    elif spec.kind == "enum":
        if value not in spec.choices:
            raise StripeFailure(
                400, f"Invalid {name}: must be one of {_listed(spec.choices)}", name
            )
        if spec.modelled and value not in spec.modelled:
            raise StripeFailure(
                400,
                f"{name}={value} is valid at Stripe but this fake implements only "
                f"{_listed(spec.modelled)}",
                name,
            )
    elif spec.kind == "currency" and value not in SUPPORTED_CURRENCIES:
        raise StripeFailure(
            400,
            f"Invalid currency: {value}. Stripe takes three-letter ISO currency codes in lower "
            "case, for the currencies it supports (https://docs.stripe.com/currencies).",
            name,
        )
    elif spec.kind == "url" and not re.match(r"https?://[^/\s]+", value):
        raise StripeFailure(400, "Not a valid URL", name, code="url_invalid")


def _listed(choices: tuple[str, ...]) -> str:
    return ", ".join(choices[:-1]) + f", or {choices[-1]}" if len(choices) > 1 else choices[0]


def _check_metadata(value: Any, name: str) -> None:
    if value == "":
        return  # unsets all of it: allowed
    if isinstance(value, list):
        value = {str(index): item for index, item in enumerate(value)}
    if not isinstance(value, dict):
        raise StripeFailure(400, "Invalid hash", name, code="parameter_invalid_hash")
    if len(value) > METADATA_KEYS:
        raise StripeFailure(
            400,
            f"Invalid {name}: it can have at most {METADATA_KEYS} keys, not {len(value)}",
            name,
        )
    for key, item in value.items():
        if len(key) > METADATA_KEY_LENGTH:
            raise StripeFailure(
                400,
                f"Invalid key: {key} must be a string of at most {METADATA_KEY_LENGTH} characters",
                name,
            )
        if not isinstance(item, str) or len(item) > METADATA_VALUE_LENGTH:
            raise StripeFailure(
                400,
                f"Invalid value for {name}[{key}]: it must be a string of at most "
                f"{METADATA_VALUE_LENGTH} characters",
                name,
            )


def kept_metadata(value: Any) -> dict[str, str]:
    """What Stripe stores of a checked ``metadata``: a key sent empty is not kept."""
    if not isinstance(value, dict):
        return {}
    return {key: item for key, item in value.items() if item != ""}


# -- currencies (https://docs.stripe.com/currencies) ------------------------------------------

ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())
#: No minor unit, yet Stripe counts hundredths of it: amounts must be whole hundreds.
HUNDREDTHS_OF_WHOLE_UNITS = frozenset({"isk"})
SUPPORTED_CURRENCIES = frozenset(
    """usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd
    bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel
    gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd
    kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok
    npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos
    srd szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar
    zmw""".split()
)
#: The smallest payment, in Stripe's unit of the currency. KWD is not in Stripe's table, which
#: asks for the equivalent of US$0.50 there: about 0.154 KWD, rounded up to whole tens of fils.
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "jpy": 50, "kwd": 160}


def stripe_decimals(currency: str) -> int:
    """How many decimals Stripe's integer amounts in *currency* carry: 0, 2 or 3.

    Stripe's count, not ISO 4217's where they differ: ISK is two-decimal at Stripe, MGA
    zero-decimal."""
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def display_amount(amount: int, currency: str) -> str:
    """``3500 JPY``, ``12.500 KWD``, ``35.00 USD``: an amount as a payment page shows it."""
    decimals = stripe_decimals(currency)
    return f"{Decimal(amount).scaleb(-decimals):.{decimals}f} {currency.upper()}"


def check_charge_amount(amount: int, currency: str, param: str) -> None:
    """Refuse an amount card networks cannot settle in *currency*.

    :raises StripeFailure: a three-decimal amount not in whole tens of the minor unit, or an
        ISK amount that is not whole krónur.
    """
    if currency in THREE_DECIMAL and amount % 10:
        raise StripeFailure(
            400,
            f"Invalid {param}: in {currency.upper()} the amount must be rounded to the nearest "
            f"ten (the last of its three decimals must be 0), such as {amount - amount % 10}",
            param,
            code="invalid_charge_amount",
        )
    if currency in HUNDREDTHS_OF_WHOLE_UNITS and amount % 100:
        raise StripeFailure(
            400,
            f"Invalid {param}: {currency.upper()} amounts are given in hundredths but must be "
            f"whole units, so divisible by 100, such as {amount - amount % 100}",
            param,
            code="invalid_charge_amount_no_decimal_compatible",
        )


def check_minimum(total: int, currency: str) -> None:
    """:raises StripeFailure: *total* is below the smallest payment in *currency*."""
    least = MINIMUM_CHARGE.get(currency)
    if least is not None and total < least:
        raise StripeFailure(
            400,
            "The Checkout Session's total amount due must add up to at least "
            f"{display_amount(least, currency)}",
            code="amount_too_small",
        )


# -- webhooks ---------------------------------------------------------------------------------


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header: ``t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<payload>">``."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def event(
    kind: str,
    obj: Json,
    *,
    account: str | None = None,
    previous_attributes: Json | None = None,
    request: Json | None = None,
) -> Json:
    """An event envelope. *account* is set on Connect events (about a connected account);
    *request* names the API request that caused it, if one did."""
    data: Json = {"object": copy.deepcopy(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = copy.deepcopy(previous_attributes)
    envelope: Json = {
        "id": new_id("evt"),
        "object": "event",
        "api_version": "2026-01-28",
        # Signatures are checked against the real clock, so events carry real time too.
        "created": int(time.time()),
        "type": kind,
        "livemode": False,
        "pending_webhooks": 1,
        "request": request or {"id": None, "idempotency_key": None},
        "data": data,
    }
    if account is not None:
        envelope["account"] = account
    return envelope


def changed(before: Json, after: Json) -> Json:
    """The fields of *before* that differ in *after*, nested ones reduced to what changed:
    an event's ``previous_attributes``."""
    previous: Json = {}
    for key, old in before.items():
        new = after.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            inner = changed(old, new)
            if inner:
                previous[key] = inner
        elif old != new:
            previous[key] = copy.deepcopy(old)
    return previous


# -- objects ----------------------------------------------------------------------------------


def list_of(items: list[Json], url_path: str, limit: int) -> Json:
    return {
        "object": "list",
        "data": items[:limit],
        "has_more": len(items) > limit,
        "url": url_path,
    }


def checkout_session(base_url: str, params: Json, now: int, expires_at: int) -> Json:
    items = params["line_items"]
    total = sum(int(i["price_data"]["unit_amount"]) * int(i["quantity"]) for i in items)
    sid = new_id("cs")
    return {
        "id": sid,
        "object": "checkout.session",
        "mode": "payment",
        "ui_mode": "hosted",
        "url": f"{base_url}/pay/{sid}",
        "status": "open",
        "payment_status": "unpaid",
        "payment_method_types": list(params.get("payment_method_types") or ["card"]),
        "amount_subtotal": total,
        "amount_total": total,
        "currency": items[0]["price_data"]["currency"],
        "created": now,
        "expires_at": expires_at,
        "client_reference_id": params.get("client_reference_id"),
        "customer_email": params.get("customer_email"),
        "metadata": kept_metadata(params.get("metadata")),
        "payment_intent": None,
        "success_url": params.get("success_url"),
        "cancel_url": params.get("cancel_url"),
        "livemode": False,
    }


def payment_intent(session: Json, asked: Json, now: int) -> Json:
    """The PaymentIntent a completed session leaves, carrying its ``payment_intent_data``."""
    fee = asked.get("application_fee_amount")
    return {
        "id": new_id("pi"),
        "object": "payment_intent",
        "amount": session["amount_total"],
        "amount_received": 0,
        "currency": session["currency"],
        "status": "processing",
        "created": now,
        "latest_charge": None,
        "payment_method_types": session["payment_method_types"],
        "description": asked.get("description"),
        "on_behalf_of": asked.get("on_behalf_of"),
        "transfer_data": copy.deepcopy(asked.get("transfer_data")),
        "application_fee_amount": int(fee) if fee is not None else None,
        "metadata": kept_metadata(asked.get("metadata")),
        "livemode": False,
    }


def charge(intent: Json, now: int) -> Json:
    """The intent's charge, pending until the payment settles."""
    transfer_data = intent["transfer_data"]
    return {
        "id": new_id("ch"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"],
        "amount_refunded": 0,
        "refunded": False,
        "captured": True,
        "paid": False,
        "status": "pending",
        "currency": intent["currency"],
        "created": now,
        "payment_intent": intent["id"],
        "balance_transaction": new_id("txn"),
        "application_fee": None,
        "application_fee_amount": intent["application_fee_amount"],
        "on_behalf_of": intent["on_behalf_of"],
        "destination": transfer_data["destination"] if transfer_data else None,
        "transfer_data": {"destination": transfer_data["destination"], "amount": None}
        if transfer_data
        else None,
        "transfer": None,
        "metadata": dict(intent["metadata"]),
        "livemode": False,
    }


def application_fee(charge_: Json, now: int) -> Json:
    fid = new_id("fee")
    return {
        "id": fid,
        "object": "application_fee",
        "amount": charge_["application_fee_amount"],
        "amount_refunded": 0,
        "refunded": False,
        "currency": charge_["currency"],
        "charge": charge_["id"],
        "account": charge_["destination"] or charge_["on_behalf_of"],
        "balance_transaction": new_id("txn"),
        "created": now,
        "originating_transaction": None,
        "refunds": {"object": "list", "data": [], "has_more": False, "url": _fee_refunds(fid)},
        "livemode": False,
    }


def _fee_refunds(fid: str) -> str:
    return f"/v1/application_fees/{fid}/refunds"


def fee_refund(fee: Json, amount: int, params: Json, now: int) -> Json:
    return {
        "id": new_id("fr"),
        "object": "fee_refund",
        "amount": amount,
        "currency": fee["currency"],
        "fee": fee["id"],
        "balance_transaction": new_id("txn"),
        "created": now,
        "metadata": kept_metadata(params.get("metadata")),
    }


def refund(charge_: Json, amount: int, params: Json, status: str, now: int) -> Json:
    reversed_transfer = params.get("reverse_transfer") == "true"
    return {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "currency": charge_["currency"],
        "payment_intent": charge_["payment_intent"],
        "charge": charge_["id"],
        "status": status,
        "failure_reason": None,
        "reason": params.get("reason"),
        "metadata": kept_metadata(params.get("metadata")),
        "created": now,
        "balance_transaction": new_id("txn"),
        "transfer_reversal": new_id("trr") if reversed_transfer else None,
        "source_transfer_reversal": None,
    }


def account(params: Json, now: int) -> Json:
    """A new connected account: what it asked for is requested, nothing works yet."""
    asked = params.get("capabilities") or {}
    capabilities = {
        name: "inactive" for name, want in asked.items() if want.get("requested") == "true"
    }
    return {
        "id": new_id("acct"),
        "object": "account",
        "type": params.get("type"),
        "country": params.get("country", "US"),
        "email": params.get("email"),
        "business_type": params.get("business_type"),
        "created": now,
        "capabilities": capabilities,
        "charges_enabled": False,
        "payouts_enabled": False,
        "details_submitted": False,
        "requirements": {
            "currently_due": ["external_account", "tos_acceptance.date"],
            "eventually_due": ["external_account", "tos_acceptance.date"],
            "past_due": ["external_account", "tos_acceptance.date"],
            "disabled_reason": "requirements.past_due",
            "errors": [],
        },
        "metadata": kept_metadata(params.get("metadata")),
        "livemode": False,
    }


def onboarded(account_: Json) -> None:
    """*account_* as it is once its owner finished onboarding and Stripe verified it."""
    account_["capabilities"] = dict.fromkeys(account_["capabilities"], "active")
    account_.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
    account_["requirements"] = {
        "currently_due": [],
        "eventually_due": [],
        "past_due": [],
        "disabled_reason": None,
        "errors": [],
    }


def account_link(base_url: str, account_id: str, now: int) -> Json:
    return {
        "object": "account_link",
        "created": now,
        "expires_at": now + 300,
        "url": f"{base_url}/connect/onboarding/{account_id}",
    }
