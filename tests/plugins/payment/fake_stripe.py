"""A stand-in for the parts of Stripe's API the payment plugin uses, served on loopback.

The plugin's stripe-python client is pointed here (``stripe_api_base``) and talks to it
as to Stripe: a bearer key, form-encoded nested parameters, an ``Idempotency-Key`` header that
makes a repeated request get the first answer. ``/pay/<session>`` stands in for the hosted
Checkout page: its Pay button completes the session and posts a signed
``checkout.session.completed`` to the tool, as Stripe does, before sending the browser on to
the session's ``success_url``. Every API request is kept in :attr:`FakeStripe.requests`.

The fake refuses what Stripe refuses, with Stripe's error shapes, so a request that passes here
is one Stripe would take: unknown parameters, wrong types, values outside an enum, amounts a
currency cannot carry, a key reused for another request, refunds of more than is left. It knows
only the parameters listed in :data:`PARAMS`, a subset of Stripe's: one Stripe knows but the
fake does not model is refused as unknown, so that it is added here rather than ignored.

What Stripe decides on its own (a payment succeeding, a refund settling, onboarding finishing)
the tests decide: :meth:`FakeStripe.complete`, :meth:`~FakeStripe.next_refund`,
:meth:`~FakeStripe.settle_refund`, :meth:`~FakeStripe.finish_onboarding` and the like.
"""

from __future__ import annotations

import copy
import html
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.routing import Rule
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from tests.live_server import live_server

from . import stripe_objects as objects
from .stripe_objects import Json
from .stripe_objects import Param
from .stripe_objects import StripeFailure
from .stripe_objects import array
from .stripe_objects import boolean
from .stripe_objects import currency
from .stripe_objects import integer
from .stripe_objects import metadata
from .stripe_objects import nested
from .stripe_objects import one_of
from .stripe_objects import text
from .stripe_objects import url

__all__ = ["FakeStripe", "Recorded", "StripeFailure"]

HALF_HOUR, DAY = 30 * 60, 24 * 60 * 60

ROUTES = Map(
    [
        Rule("/v1/checkout/sessions", methods=["POST"], endpoint="create_session"),
        Rule("/v1/checkout/sessions", methods=["GET"], endpoint="list_sessions"),
        Rule("/v1/checkout/sessions/<sid>", methods=["GET"], endpoint="get_session"),
        Rule("/v1/checkout/sessions/<sid>/expire", methods=["POST"], endpoint="expire_session"),
        Rule("/v1/payment_intents/<pid>", methods=["GET"], endpoint="get_intent"),
        Rule("/v1/charges/<cid>", methods=["GET"], endpoint="get_charge"),
        Rule("/v1/application_fees/<fid>", methods=["GET"], endpoint="get_fee"),
        Rule("/v1/application_fees/<fid>/refunds", methods=["POST"], endpoint="refund_fee"),
        Rule("/v1/refunds", methods=["POST"], endpoint="create_refund"),
        Rule("/v1/refunds", methods=["GET"], endpoint="list_refunds"),
        Rule("/v1/refunds/<rid>", methods=["GET"], endpoint="get_refund"),
        Rule("/v1/accounts", methods=["POST"], endpoint="create_account"),
        Rule("/v1/accounts/<aid>", methods=["GET"], endpoint="get_account"),
        Rule("/v1/account_links", methods=["POST"], endpoint="create_account_link"),
        Rule("/pay/<sid>", methods=["GET", "POST"], endpoint="pay_page"),
    ]
)

#: Stripe's ``payment_method_types`` enum for Checkout.
PAYMENT_METHOD_TYPES = (
    "acss_debit affirm afterpay_clearpay alipay alma amazon_pay au_becs_debit bacs_debit "
    "bancontact billie blik boleto card cashapp crypto customer_balance eps fpx giropay grabpay "
    "ideal kakao_pay klarna konbini kr_card link mb_way mobilepay multibanco naver_pay "
    "nz_bank_account oxxo p24 pay_by_bank payco paynow paypal payto pix promptpay revolut_pay "
    "samsung_pay satispay sepa_debit sofort swish twint us_bank_account wechat_pay zip"
).split()
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
REFUND_FAILURES = (
    "charge_for_pending_refund_disputed",
    "declined",
    "expired_or_canceled_card",
    "insufficient_funds",
    "lost_or_stolen_card",
    "merchant_request",
    "unknown",
)
#: Refunds in these states hold money back from the charge; a failed or canceled one does not.
REFUND_HOLDS = ("pending", "requires_action", "succeeded")
LIST_LIMIT = integer(1, 100)

PRICE_DATA = nested(
    required=True,
    currency=currency(required=True),
    unit_amount=integer(0, required=True),
    product_data=nested(
        required=True, name=text(required=True), description=text(), metadata=metadata()
    ),
)

#: What each endpoint accepts (``expand`` everywhere besides).
PARAMS: dict[str, Mapping[str, Param]] = {
    "create_session": {
        "mode": one_of("payment", "setup", "subscription", modelled=("payment",), required=True),
        "line_items": array(
            nested(price_data=PRICE_DATA, quantity=integer(1, required=True)), required=True
        ),
        "payment_method_types": array(one_of(*PAYMENT_METHOD_TYPES)),
        "success_url": url(required=True),
        "cancel_url": url(),
        "expires_at": integer(),
        "client_reference_id": text(),
        "customer_email": text(),
        "metadata": metadata(),
        "payment_intent_data": nested(
            application_fee_amount=integer(0),
            description=text(),
            metadata=metadata(),
            on_behalf_of=text(),
            transfer_data=nested(destination=text(required=True)),
        ),
    },
    "list_sessions": {
        "payment_intent": text(),
        "status": one_of("open", "complete", "expired"),
        "limit": LIST_LIMIT,
    },
    "create_refund": {
        "payment_intent": text(),
        "charge": text(),
        "amount": integer(1),
        "reason": one_of(*REFUND_REASONS),
        "metadata": metadata(),
        "reverse_transfer": boolean(),
        "refund_application_fee": boolean(),
    },
    "list_refunds": {"payment_intent": text(), "charge": text(), "limit": LIST_LIMIT},
    "refund_fee": {"amount": integer(1), "metadata": metadata()},
    "create_account": {
        "type": one_of("custom", "express", "standard", required=True),
        "country": text(),
        "email": text(),
        "business_type": one_of("company", "government_entity", "individual", "non_profit"),
        "capabilities": nested(
            card_payments=nested(requested=boolean()), transfers=nested(requested=boolean())
        ),
        "metadata": metadata(),
    },
    "create_account_link": {
        "account": text(required=True),
        "refresh_url": url(required=True),
        "return_url": url(required=True),
        "type": one_of("account_onboarding", "account_update", required=True),
    },
}

#: Fields holding an id that ``expand`` may replace with the object, and where it is kept.
EXPANDABLE = {
    "latest_charge": "charges",
    "charge": "charges",
    "payment_intent": "intents",
    "application_fee": "application_fees",
    "fee": "application_fees",
}


@dataclass
class Recorded:
    method: str
    path: str
    params: Json
    idempotency_key: str | None


@dataclass
class _Reply:
    """The first answer to an idempotency key, and the request it answered."""

    method: str
    path: str
    params: Json
    status: int
    body: Json


class FakeStripe:
    """The fake API; :meth:`serve` runs it. *clock* gives "now" in epoch seconds for the
    checks Stripe makes against its own clock (``expires_at``); tests share the app's."""

    def __init__(self, webhook_secret: str, clock: Callable[[], float] = time.time) -> None:
        self.webhook_secret = webhook_secret
        self.clock = clock
        self.url = ""
        self.webhook_url: str | None = None
        """Where events are posted; None keeps them in :attr:`events` for the test to send."""
        self.down = False
        """While true every API request fails as when Stripe cannot be reached (503)."""
        self.requests: list[Recorded] = []
        self.events: list[Json] = []
        self.deliveries: list[tuple[str, int]] = []
        self.sessions: dict[str, Json] = {}
        self.intents: dict[str, Json] = {}
        self.charges: dict[str, Json] = {}
        self.application_fees: dict[str, Json] = {}
        self.refunds: dict[str, Json] = {}
        self.accounts: dict[str, Json] = {}
        self.refund_outcomes: list[str] = []
        """Statuses the next refunds are created with, in order; ``succeeded`` once it is empty."""
        self._asked: dict[str, Json] = {}
        self._replies: dict[str, _Reply] = {}
        self._outbox: list[Json] = []
        self._cause: Json | None = None
        self._lock = threading.RLock()

    @contextmanager
    def serve(self) -> Iterator[FakeStripe]:
        with live_server(self._wsgi) as address:
            self.url = address
            yield self

    # -- what tests look at and do -----------------------------------------------------------

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    @contextmanager
    def unreachable(self) -> Iterator[None]:
        """Stripe cannot be reached inside the block; it answers again after, even when the
        block raises, so one failed test does not take Stripe away from the next."""
        self.down = True
        try:
            yield
        finally:
            self.down = False

    def signed(self, event: Json, timestamp: int | None = None) -> tuple[bytes, str]:
        """The event's body and a ``Stripe-Signature`` for it (now, or at *timestamp*)."""
        payload = json.dumps(event)
        return payload.encode(), objects.sign(payload, self.webhook_secret, timestamp)

    def complete(
        self, sid: str, *, amount_total: int | None = None, payment_status: str = "paid"
    ) -> Json:
        """The learner pays: the session completes and ``checkout.session.completed`` goes out.

        *amount_total* is what was paid when it differs from the session's price.
        *payment_status* ``unpaid`` is a delayed method (a bank debit): the session completes
        but the money is still on its way until :meth:`async_succeed` or :meth:`async_fail`.

        :raises StripeFailure: the session is not open, or its ``expires_at`` has passed.
        """
        if payment_status not in ("paid", "unpaid"):
            raise ValueError(f"payment_status is paid or unpaid, not {payment_status!r}")
        try:
            with self._lock:
                session = self._open_session(sid)
                if amount_total is not None:
                    session["amount_total"] = amount_total
                intent = self._start_payment(session)
                if payment_status == "paid":
                    self._settle_payment(intent)
                session.update(
                    status="complete", payment_status=payment_status, payment_intent=intent["id"]
                )
                event = self.emit("checkout.session.completed", session)
        finally:
            self.flush()
        return event

    def async_succeed(self, sid: str) -> Json:
        """A delayed payment arrives: ``checkout.session.async_payment_succeeded`` goes out."""
        with self._lock:
            session, intent = self._awaiting_payment(sid)
            self._settle_payment(intent)
            session["payment_status"] = "paid"
            event = self.emit("checkout.session.async_payment_succeeded", session)
        self.flush()
        return event

    def async_fail(self, sid: str) -> Json:
        """A delayed payment fails: ``checkout.session.async_payment_failed`` goes out."""
        with self._lock:
            session, intent = self._awaiting_payment(sid)
            self.charges[intent["latest_charge"]].update(status="failed", paid=False)
            intent["status"] = "requires_payment_method"
            event = self.emit("checkout.session.async_payment_failed", session)
        self.flush()
        return event

    def expire(self, sid: str) -> Json:
        """Stripe gives up on an unpaid session: ``checkout.session.expired`` goes out."""
        with self._lock:
            if sid not in self.sessions:
                raise objects.no_such("checkout.session", sid, "session", 404)
            event = self._lapse(sid) or self._expire(sid)
        self.flush()
        return event

    def next_refund(self, status: str) -> None:
        """The next refund created starts *status* (``pending`` or ``succeeded``) rather than
        ``succeeded``; calls queue up, one per refund."""
        if status not in ("pending", "succeeded"):
            raise ValueError(f"a refund starts pending or succeeded, not {status!r}")
        with self._lock:
            self.refund_outcomes.append(status)

    def settle_refund(self, refund_id: str, status: str, failure_reason: str | None = None) -> None:
        """Stripe settles a refund: pending to ``succeeded`` or ``failed``, or succeeded to
        ``failed`` (the card was closed meanwhile), with the events Stripe sends:
        ``refund.updated`` (and ``refund.failed``) and ``charge.refund.updated``. A failed
        refund gives its amount back to the charge's ``amount_refunded``."""
        moves = {"pending": ("succeeded", "failed"), "succeeded": ("failed",)}
        with self._lock:
            refund = self.refunds[refund_id]
            if status not in moves.get(refund["status"], ()):
                raise ValueError(f"a {refund['status']} refund cannot become {status}")
            if status == "failed":
                failure_reason = failure_reason or "unknown"
                if failure_reason not in REFUND_FAILURES:
                    raise ValueError(f"{failure_reason!r} is not one of {REFUND_FAILURES}")
            elif failure_reason is not None:
                raise ValueError("only a failed refund has a failure_reason")
            before = copy.deepcopy(refund)
            refund.update(status=status, failure_reason=failure_reason)
            self._count_refunds(self.charges[refund["charge"]])
            previous = objects.changed(before, refund)
            self.emit("refund.updated", refund, previous_attributes=previous)
            if status == "failed":
                self.emit("refund.failed", refund, previous_attributes=previous)
            self.emit("charge.refund.updated", refund, previous_attributes=previous)
        self.flush()

    def active_account(self, account_type: str = "express") -> str:
        """A connected account that finished onboarding, able to receive transfers; its id.
        Made directly, as if long before the test: no request or event is recorded."""
        with self._lock:
            params = {"type": account_type, "capabilities": {"transfers": {"requested": "true"}}}
            account = objects.account(params, int(self.clock()))
            objects.onboarded(account)
            self.accounts[account["id"]] = account
        return str(account["id"])

    def finish_onboarding(self, account_id: str) -> Json:
        """The account's owner finishes onboarding and Stripe verifies it: its requested
        capabilities become active, charges and payouts are enabled, nothing is due, and an
        ``account.updated`` Connect event (naming the ``account``) goes out. Returns the event."""
        with self._lock:
            account = self.accounts[account_id]
            before = copy.deepcopy(account)
            objects.onboarded(account)
            event = self.emit(
                "account.updated",
                account,
                account=account_id,
                previous_attributes=objects.changed(before, account),
            )
        self.flush()
        return event

    def emit(
        self,
        kind: str,
        obj: Json,
        *,
        account: str | None = None,
        previous_attributes: Json | None = None,
    ) -> Json:
        with self._lock:
            event = objects.event(
                kind,
                obj,
                account=account,
                previous_attributes=previous_attributes,
                request=copy.copy(self._cause),
            )
            self.events.append(event)
            self._outbox.append(event)
        return event

    def flush(self) -> None:
        """Post the events not yet sent, outside the lock: the tool may call back meanwhile."""
        while True:
            with self._lock:
                if not self._outbox:
                    return
                event = self._outbox.pop(0)
            if self.webhook_url:
                self.deliver(event)

    def deliver(self, event: Json) -> int:
        body, signature = self.signed(event)
        request = urllib.request.Request(
            self.webhook_url or "",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
        self.deliveries.append((event["id"], status))
        return status

    # -- the HTTP side -----------------------------------------------------------------------

    def _wsgi(self, environ: Json, start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, args = ROUTES.bind_to_environ(environ).match()
        except HTTPException as exc:
            if request.path.startswith("/v1/"):
                unknown = StripeFailure(
                    404, f"Unrecognized request URL ({request.method}: {request.path})."
                )
                return self._error(unknown)(environ, start_response)
            return exc(environ, start_response)
        if endpoint == "pay_page":
            return self._pay_page(request, args["sid"])(environ, start_response)
        return self._api(request, str(endpoint), args)(environ, start_response)

    def _api(self, request: Request, endpoint: str, args: Json) -> Response:
        if not request.headers.get("Authorization", "").startswith("Bearer sk_"):
            return self._error(StripeFailure(401, "Invalid API Key provided"))
        if self.down:
            failure = StripeFailure(
                503, "Stripe cannot be reached (the test says so).", kind="api_error"
            )
            # Told not to retry, stripe-python gives up at once instead of sleeping first.
            return self._error(failure, {"Stripe-Should-Retry": "false"})
        form = request.args if request.method == "GET" else request.form
        try:
            params = objects.decode_form(form.items(multi=True))
        except StripeFailure as exc:
            return self._error(exc)
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        request_id = objects.new_id("req")
        headers = {"Request-Id": request_id}
        with self._lock:
            self.requests.append(Recorded(request.method, request.path, params, key))
            try:
                replay = self._replay(key, request.method, request.path, params)
                if replay is not None:
                    headers["Idempotent-Replayed"] = "true"
                    status, body = replay.status, replay.body
                else:
                    status, body = 200, self._answer(endpoint, params, args, request_id, key)
            except StripeFailure as exc:
                # Stripe keeps no answer for a refused request: the key stays free to retry.
                response = self._error(exc, headers)
            else:
                if key and replay is None:
                    kept = _Reply(request.method, request.path, copy.deepcopy(params), status, body)
                    self._replies[key] = kept
                response = Response(json.dumps(body), status, headers, mimetype="application/json")
        # Like Stripe, events go out after the answer, not before it.
        response.call_on_close(self.flush)
        return response

    def _answer(
        self, endpoint: str, params: Json, args: Json, request_id: str, key: str | None
    ) -> Json:
        objects.check(params, PARAMS.get(endpoint, {}))
        self._cause = {"id": request_id, "idempotency_key": key}
        try:
            found = getattr(self, f"_{endpoint}")(params, **args)
        finally:
            self._cause = None
        return self._expanded(found, params.get("expand", []))

    def _replay(self, key: str | None, method: str, path: str, params: Json) -> _Reply | None:
        """The first answer to *key*, if the request is the one it answered.

        :raises StripeFailure: the key was first used for another request.
        """
        if key and len(key) > 255:
            raise StripeFailure(400, "Idempotency keys can be at most 255 characters long.")
        first = self._replies.get(key or "")
        if first is None:
            return None
        retry = f"Try using a key other than '{key}' if you meant to execute a different request."
        if (first.method, first.path) != (method, path):
            raise StripeFailure(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{method} {path}' vs '{first.method} {first.path}'). {retry}",
                kind="idempotency_error",
            )
        if first.params != params:
            raise StripeFailure(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. {retry}",
                kind="idempotency_error",
            )
        return first

    @staticmethod
    def _error(exc: StripeFailure, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(exc.body())
        return Response(body, exc.status, headers, mimetype="application/json")

    def _expanded(self, found: Json, paths: list[str]) -> Json:
        """A copy of *found* with the ids at *paths* (``a.b``) replaced by their objects;
        a list's paths start with ``data.``.

        :raises StripeFailure: a path names nothing expandable.
        """
        answer = copy.deepcopy(found)
        for path in paths:
            parts = path.split(".")
            if answer.get("object") == "list":
                if parts[0] != "data" or len(parts) < 2:
                    raise self._not_expandable(path)
                for item in answer["data"]:
                    self._expand(item, parts[1:], path)
            else:
                self._expand(answer, parts, path)
        return answer

    def _expand(self, node: Json, parts: list[str], path: str) -> None:
        name = parts[0]
        if name not in EXPANDABLE or name not in node:
            raise self._not_expandable(path)
        value = node[name]
        if isinstance(value, str):
            value = node[name] = copy.deepcopy(getattr(self, EXPANDABLE[name])[value])
        if value is not None and len(parts) > 1:
            self._expand(value, parts[1:], path)

    @staticmethod
    def _not_expandable(path: str) -> StripeFailure:
        return StripeFailure(400, f"This property cannot be expanded ({path}).", "expand")

    # -- checkout sessions -------------------------------------------------------------------

    def _session(self, sid: str) -> Json:
        if sid not in self.sessions:
            raise objects.no_such("checkout.session", sid, "session", 404)
        self._lapse(sid)
        return self.sessions[sid]

    def _lapse(self, sid: str) -> Json | None:
        """Expire an open session whose ``expires_at`` has passed by the fake's clock, as
        Stripe would have by then; the ``checkout.session.expired`` event, if it just did."""
        session = self.sessions[sid]
        if session["status"] != "open" or self.clock() <= session["expires_at"]:
            return None
        session["status"] = "expired"
        return self.emit("checkout.session.expired", session)

    def _open_session(self, sid: str) -> Json:
        session = self._session(sid)
        if session["status"] != "open":
            raise StripeFailure(
                400, f"This Checkout Session is {session['status']}.", code="checkout_not_open"
            )
        return session

    def _expire(self, sid: str) -> Json:
        self._open_session(sid)["status"] = "expired"
        return self.emit("checkout.session.expired", self.sessions[sid])

    def _awaiting_payment(self, sid: str) -> tuple[Json, Json]:
        session = self.sessions[sid]
        intent = self.intents.get(str(session["payment_intent"]))
        if session["status"] != "complete" or intent is None or intent["status"] != "processing":
            raise ValueError(f"checkout {sid} is not waiting for a delayed payment")
        return session, intent

    def _create_session(self, params: Json) -> Json:
        items = params["line_items"]
        money = items[0]["price_data"]["currency"]
        total = 0
        for index, item in enumerate(items):
            price = item["price_data"]
            at = f"line_items[{index}][price_data]"
            if price["currency"] != money:
                raise StripeFailure(
                    400, "All line items must use the same currency.", f"{at}[currency]"
                )
            unit_amount = int(price["unit_amount"])
            objects.check_charge_amount(unit_amount, money, f"{at}[unit_amount]")
            total += unit_amount * int(item["quantity"])
        objects.check_minimum(total, money)
        now = int(self.clock())
        expires_at = int(params.get("expires_at") or now + DAY)
        if expires_at < now + HALF_HOUR:
            raise StripeFailure(
                400,
                "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
                "creation.",
                "expires_at",
            )
        if expires_at > now + DAY:
            raise StripeFailure(
                400,
                "The `expires_at` timestamp must be less than 24 hours from Checkout Session "
                "creation.",
                "expires_at",
            )
        self._check_destination(params.get("payment_intent_data") or {}, total)
        session = objects.checkout_session(self.url, params, now, expires_at)
        self.sessions[session["id"]], self._asked[session["id"]] = session, params
        return session

    def _check_destination(self, intent: Json, total: int) -> None:
        """Refuse money sent where it cannot go, or a fee that cannot be taken."""
        at = "payment_intent_data"
        destination = (intent.get("transfer_data") or {}).get("destination")
        if destination is not None:
            param = f"{at}[transfer_data][destination]"
            account = self.accounts.get(destination)
            if account is None:
                raise objects.no_such("destination", destination, param)
            if account["capabilities"].get("transfers") != "active":
                raise StripeFailure(
                    400,
                    "Your destination account needs to have at least one of the following "
                    "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                    param,
                    code="insufficient_capabilities_for_transfer",
                )
        on_behalf_of = intent.get("on_behalf_of")
        if on_behalf_of is not None and on_behalf_of not in self.accounts:
            raise objects.no_such("account", on_behalf_of, f"{at}[on_behalf_of]")
        fee = intent.get("application_fee_amount")
        if fee is None:
            return
        param = f"{at}[application_fee_amount]"
        if destination is None and on_behalf_of is None:
            raise StripeFailure(
                400,
                "An application_fee_amount can only be taken from a payment to a connected "
                "account: a destination charge (transfer_data[destination]) or one made "
                "on_behalf_of it.",
                param,
            )
        if int(fee) > total:
            raise StripeFailure(
                400,
                f"The application_fee_amount ({fee}) cannot be greater than the amount of the "
                f"payment ({total}).",
                param,
            )

    def _list_sessions(self, params: Json) -> Json:
        found = [self._session(sid) for sid in reversed(self.sessions)]
        if "payment_intent" in params:
            found = [s for s in found if s["payment_intent"] == params["payment_intent"]]
        if "status" in params:
            found = [s for s in found if s["status"] == params["status"]]
        return objects.list_of(found, "/v1/checkout/sessions", int(params.get("limit", 10)))

    def _get_session(self, _params: Json, sid: str) -> Json:
        return self._session(sid)

    def _expire_session(self, _params: Json, sid: str) -> Json:
        self._expire(sid)
        return self.sessions[sid]

    # -- payments ----------------------------------------------------------------------------

    def _start_payment(self, session: Json) -> Json:
        """The session's PaymentIntent and its charge, both waiting for the money."""
        now = int(self.clock())
        asked = self._asked[session["id"]].get("payment_intent_data") or {}
        intent = objects.payment_intent(session, asked, now)
        charge = objects.charge(intent, now)
        intent["latest_charge"] = charge["id"]
        self.intents[intent["id"]], self.charges[charge["id"]] = intent, charge
        return intent

    def _settle_payment(self, intent: Json) -> None:
        """The money arrived: the charge succeeds, a destination's share is transferred and
        the platform's application fee taken."""
        charge = self.charges[intent["latest_charge"]]
        intent.update(status="succeeded", amount_received=intent["amount"])
        charge.update(status="succeeded", paid=True)
        if charge["destination"]:
            charge["transfer"] = objects.new_id("tr")
        if (charge["destination"] or charge["on_behalf_of"]) and charge["application_fee_amount"]:
            fee = objects.application_fee(charge, int(self.clock()))
            self.application_fees[fee["id"]] = fee
            charge["application_fee"] = fee["id"]

    def _get_intent(self, _params: Json, pid: str) -> Json:
        if pid not in self.intents:
            raise objects.no_such("payment_intent", pid, "intent", 404)
        return self.intents[pid]

    def _get_charge(self, _params: Json, cid: str) -> Json:
        if cid not in self.charges:
            raise objects.no_such("charge", cid, "id", 404)
        return self.charges[cid]

    def _get_fee(self, _params: Json, fid: str) -> Json:
        if fid not in self.application_fees:
            raise objects.no_such("application fee", fid, "id", 404)
        return self.application_fees[fid]

    def _refund_fee(self, params: Json, fid: str) -> Json:
        fee = self._get_fee(params, fid)
        left = fee["amount"] - fee["amount_refunded"]
        if left <= 0:
            raise StripeFailure(
                400, f"Application fee {fid} has already been refunded.", code="fee_refunded"
            )
        amount = int(params.get("amount", left))
        if amount > left:
            raise StripeFailure(
                400,
                f"Refund amount ({amount}) is greater than what is left of the application fee "
                f"({left}).",
                "amount",
                code="amount_too_large",
            )
        return self._give_back_fee(fee, amount, params)

    def _give_back_fee(self, fee: Json, amount: int, params: Json) -> Json:
        refund = objects.fee_refund(fee, amount, params, int(self.clock()))
        fee["amount_refunded"] += amount
        fee["refunded"] = fee["amount_refunded"] == fee["amount"]
        fee["refunds"]["data"].insert(0, refund)
        self.emit("application_fee.refunded", fee)
        return refund

    # -- refunds -----------------------------------------------------------------------------

    def _refunded_charge(self, params: Json) -> Json:
        """The charge a refund request names, by its PaymentIntent or itself."""
        if "payment_intent" in params and "charge" in params:
            raise StripeFailure(
                400, "You may only specify one of these parameters: charge, payment_intent."
            )
        if "payment_intent" in params:
            pid = params["payment_intent"]
            if pid not in self.intents:
                raise objects.no_such("payment_intent", pid, "payment_intent")
            charge_id = self.intents[pid]["latest_charge"]
            if charge_id is None:
                raise StripeFailure(
                    400, f"PaymentIntent {pid} has no charge to refund.", "payment_intent"
                )
            return self.charges[charge_id]
        if "charge" in params:
            if params["charge"] not in self.charges:
                raise objects.no_such("charge", params["charge"], "charge")
            return self.charges[params["charge"]]
        raise StripeFailure(
            400,
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
            code="parameter_missing",
        )

    def _create_refund(self, params: Json) -> Json:
        charge = self._refunded_charge(params)
        if charge["status"] != "succeeded":
            raise StripeFailure(
                400, f"Charge {charge['id']} is {charge['status']} and cannot be refunded."
            )
        left = charge["amount"] - self._held_by_refunds(charge["id"])
        if left <= 0:
            raise StripeFailure(
                400,
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = int(params.get("amount", left))
        if amount > left:
            raise StripeFailure(
                400,
                f"Refund amount ({objects.display_amount(amount, charge['currency'])}) is "
                "greater than unrefunded amount on charge "
                f"({objects.display_amount(left, charge['currency'])})",
                "amount",
                code="amount_too_large",
            )
        if params.get("reverse_transfer") == "true" and not charge["transfer"]:
            raise StripeFailure(
                400,
                f"Charge {charge['id']} has no transfer to reverse: reverse_transfer applies to "
                "destination charges only.",
                "reverse_transfer",
            )
        fee = self.application_fees.get(charge["application_fee"] or "")
        if params.get("refund_application_fee") == "true" and fee is None:
            raise StripeFailure(
                400,
                f"Charge {charge['id']} has no application fee to refund.",
                "refund_application_fee",
            )
        status = self.refund_outcomes.pop(0) if self.refund_outcomes else "succeeded"
        refund = objects.refund(charge, amount, params, status, int(self.clock()))
        self.refunds[refund["id"]] = refund
        self._count_refunds(charge)
        self.emit("charge.refunded", charge)
        self.emit("refund.created", refund)
        if fee is not None and params.get("refund_application_fee") == "true":
            # In proportion to the charge refunded, as Stripe does; all of it on a full refund.
            share = fee["amount"] * amount // charge["amount"]
            share = min(share, fee["amount"] - fee["amount_refunded"])
            if share > 0:
                self._give_back_fee(fee, share, {})
        return refund

    def _held_by_refunds(self, charge_id: str) -> int:
        return sum(
            r["amount"]
            for r in self.refunds.values()
            if r["charge"] == charge_id and r["status"] in REFUND_HOLDS
        )

    def _count_refunds(self, charge: Json) -> None:
        charge["amount_refunded"] = self._held_by_refunds(charge["id"])
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]

    def _get_refund(self, _params: Json, rid: str) -> Json:
        if rid not in self.refunds:
            raise objects.no_such("refund", rid, "id", 404)
        return self.refunds[rid]

    def _list_refunds(self, params: Json) -> Json:
        found = list(reversed(self.refunds.values()))
        if "payment_intent" in params:
            found = [r for r in found if r["payment_intent"] == params["payment_intent"]]
        if "charge" in params:
            found = [r for r in found if r["charge"] == params["charge"]]
        return objects.list_of(found, "/v1/refunds", int(params.get("limit", 10)))

    # -- Connect -----------------------------------------------------------------------------

    def _create_account(self, params: Json) -> Json:
        account = objects.account(params, int(self.clock()))
        self.accounts[account["id"]] = account
        return account

    def _get_account(self, _params: Json, aid: str) -> Json:
        if aid not in self.accounts:
            raise objects.no_such("account", aid, "account", 404)
        return self.accounts[aid]

    def _create_account_link(self, params: Json) -> Json:
        account_id = str(params["account"])
        if account_id not in self.accounts:
            raise objects.no_such("account", account_id, "account")
        return objects.account_link(self.url, account_id, int(self.clock()))

    # -- the hosted payment page -------------------------------------------------------------

    def _pay_page(self, request: Request, sid: str) -> Response:
        with self._lock:
            session = self.sessions.get(sid)
            if session is not None:
                self._lapse(sid)
        self.flush()
        if session is None:
            return Response("no such checkout", 404)
        if request.method == "POST":
            try:
                self.complete(sid)
            except StripeFailure as exc:
                return Response(html.escape(exc.message), 410)
            target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", sid)
            return Response("", 303, headers={"Location": target})
        amount = objects.display_amount(session["amount_total"], session["currency"])
        button = '<form method="post"><button data-testid="pay">Pay</button></form>'
        page = (
            f"<!doctype html><title>Test checkout</title><h1>Pay {html.escape(amount)}</h1>"
            f"<p data-testid='checkout-status'>{session['status']}</p>"
            f"{button if session['status'] == 'open' else ''}"
        )
        return Response(page, 200, mimetype="text/html")
