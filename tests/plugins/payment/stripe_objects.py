"""Stripe's wire formats, as the fake server needs them: form decoding, webhook signatures, and
objects in the shapes Stripe documents (only the fields the tool or the tests read, plus the
identifying ones)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from typing import Any

Json = dict[str, Any]


def new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def decode_form(pairs: Iterable[tuple[str, str]]) -> Json:
    """``line_items[0][price_data][currency]=usd`` pairs back into nested dicts and lists."""
    root: Json = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    node = {key: _listify(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header: ``t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<payload>">``."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def event(kind: str, obj: Json) -> Json:
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": "2026-01-28",
        # Signatures are checked against the real clock, so events carry real time too.
        "created": int(time.time()),
        "type": kind,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": copy.deepcopy(obj)},
    }


def checkout_session(base_url: str, params: Json, now: int, expires_at: int) -> Json:
    items = params["line_items"]
    total = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1)) for i in items)
    sid = new_id("cs")
    return {
        "id": sid,
        "object": "checkout.session",
        "mode": "payment",
        "url": f"{base_url}/pay/{sid}",
        "status": "open",
        "payment_status": "unpaid",
        "amount_subtotal": total,
        "amount_total": total,
        "currency": items[0]["price_data"]["currency"],
        "created": now,
        "expires_at": expires_at,
        "client_reference_id": params.get("client_reference_id"),
        "customer_email": params.get("customer_email"),
        "metadata": params.get("metadata", {}),
        "payment_intent": None,
        "success_url": params.get("success_url"),
        "cancel_url": params.get("cancel_url"),
        "livemode": False,
    }


def payment_intent(session: Json, asked: Json) -> Json:
    """The PaymentIntent a completed session leaves, carrying its ``payment_intent_data``."""
    fee = asked.get("application_fee_amount")
    return {
        "id": new_id("pi"),
        "object": "payment_intent",
        "amount": session["amount_total"],
        "amount_received": session["amount_total"],
        "currency": session["currency"],
        "status": "succeeded",
        "latest_charge": new_id("ch"),
        "transfer_data": asked.get("transfer_data"),
        "application_fee_amount": int(fee) if fee is not None else None,
        "metadata": asked.get("metadata", {}),
    }


def refund(intent: Json, amount: int, params: Json) -> Json:
    return {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "currency": intent["currency"],
        "payment_intent": intent["id"],
        "charge": intent["latest_charge"],
        "reason": params.get("reason"),
        "status": "succeeded",
        "metadata": params.get("metadata", {}),
    }


def charge(intent: Json, refunded: int) -> Json:
    return {
        "id": intent["latest_charge"],
        "object": "charge",
        "amount": intent["amount"],
        "amount_refunded": refunded,
        "refunded": refunded == intent["amount"],
        "currency": intent["currency"],
        "payment_intent": intent["id"],
    }


def account(params: Json) -> Json:
    return {
        "id": new_id("acct"),
        "object": "account",
        "type": params.get("type"),
        "email": params.get("email"),
        "charges_enabled": False,
        "payouts_enabled": False,
        "details_submitted": False,
        "metadata": params.get("metadata", {}),
    }


def account_link(base_url: str, account_id: str, now: int) -> Json:
    return {
        "object": "account_link",
        "created": now,
        "expires_at": now + 300,
        "url": f"{base_url}/connect/onboarding/{account_id}",
    }
