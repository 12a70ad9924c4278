"""A stand-in for the parts of Stripe's API the payment plugin uses, served on loopback.

The plugin's stripe-python client is pointed here (``LTI_TOOL_STRIPE_API_BASE``) and talks to it
as to Stripe: a bearer key, form-encoded nested parameters, an ``Idempotency-Key`` header that
makes a repeated request get the first answer. ``/pay/<session>`` stands in for the hosted
Checkout page: its Pay button completes the session and posts a signed
``checkout.session.completed`` to the tool, as Stripe does, before sending the browser on to
the session's ``success_url``. Every API request is kept in :attr:`FakeStripe.requests`.
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

HALF_HOUR, DAY = 30 * 60, 24 * 60 * 60

ROUTES = Map(
    [
        Rule("/v1/checkout/sessions", methods=["POST"], endpoint="create_session"),
        Rule("/v1/checkout/sessions/<sid>", methods=["GET"], endpoint="get_session"),
        Rule("/v1/checkout/sessions/<sid>/expire", methods=["POST"], endpoint="expire_session"),
        Rule("/v1/payment_intents/<pid>", methods=["GET"], endpoint="get_intent"),
        Rule("/v1/refunds", methods=["POST"], endpoint="create_refund"),
        Rule("/v1/accounts", methods=["POST"], endpoint="create_account"),
        Rule("/v1/account_links", methods=["POST"], endpoint="create_account_link"),
        Rule("/pay/<sid>", methods=["GET", "POST"], endpoint="pay_page"),
    ]
)


@dataclass
class Recorded:
    method: str
    path: str
    params: Json
    idempotency_key: str | None


class StripeFailure(Exception):
    def __init__(self, status: int, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param = status, message, param


class FakeStripe:
    """The fake API; :meth:`serve` runs it. *clock* gives "now" in epoch seconds for the
    checks Stripe makes against its own clock (``expires_at``); tests share the app's."""

    def __init__(self, webhook_secret: str, clock: Callable[[], float] = time.time) -> None:
        self.webhook_secret = webhook_secret
        self.clock = clock
        self.url = ""
        self.webhook_url: str | None = None
        """Where events are posted; None keeps them in :attr:`events` for the test to send."""
        self.requests: list[Recorded] = []
        self.events: list[Json] = []
        self.deliveries: list[tuple[str, int]] = []
        self.sessions: dict[str, Json] = {}
        self.intents: dict[str, Json] = {}
        self.accounts: dict[str, Json] = {}
        self._asked: dict[str, Json] = {}
        self._refunded: dict[str, int] = {}
        self._replies: dict[str, tuple[int, Json]] = {}
        self._outbox: list[Json] = []
        self._lock = threading.RLock()

    @contextmanager
    def serve(self) -> Iterator[FakeStripe]:
        with live_server(self._wsgi) as url:
            self.url = url
            yield self

    # -- what tests look at and do -----------------------------------------------------------

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def signed(self, event: Json, timestamp: int | None = None) -> tuple[bytes, str]:
        """The event's body and a ``Stripe-Signature`` for it (now, or at *timestamp*)."""
        payload = json.dumps(event)
        return payload.encode(), objects.sign(payload, self.webhook_secret, timestamp)

    def complete(self, sid: str) -> Json:
        """The learner pays: the session completes and ``checkout.session.completed`` goes out."""
        with self._lock:
            session = self._open_session(sid)
            intent = objects.payment_intent(
                session, self._asked[sid].get("payment_intent_data", {})
            )
            self.intents[intent["id"]] = intent
            session.update(status="complete", payment_status="paid", payment_intent=intent["id"])
            event = self.emit("checkout.session.completed", session)
        self.flush()
        return event

    def expire(self, sid: str) -> Json:
        """Stripe gives up on an unpaid session: ``checkout.session.expired`` goes out."""
        with self._lock:
            event = self._expire(sid)
        self.flush()
        return event

    def emit(self, kind: str, obj: Json) -> Json:
        event = objects.event(kind, obj)
        with self._lock:
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
            return exc(environ, start_response)
        if endpoint == "pay_page":
            return self._pay_page(request, args["sid"])(environ, start_response)
        return self._api(request, str(endpoint), args)(environ, start_response)

    def _api(self, request: Request, endpoint: str, args: Json) -> Response:
        if not request.headers.get("Authorization", "").startswith("Bearer sk_"):
            return self._error(StripeFailure(401, "Invalid API Key provided"))
        params = objects.decode_form(request.form.items(multi=True))
        key = request.headers.get("Idempotency-Key")
        with self._lock:
            self.requests.append(Recorded(request.method, request.path, params, key))
            if key and key in self._replies:
                status, body = self._replies[key]
            else:
                try:
                    status, body = 200, getattr(self, f"_{endpoint}")(params, **args)
                except StripeFailure as exc:
                    return self._error(exc)
                if key and request.method == "POST":
                    self._replies[key] = (status, copy.deepcopy(body))
        response = Response(json.dumps(body), status, mimetype="application/json")
        # Like Stripe, events go out after the answer, not before it.
        response.call_on_close(self.flush)
        return response

    @staticmethod
    def _error(exc: StripeFailure) -> Response:
        error = {"type": "invalid_request_error", "message": exc.message, "param": exc.param}
        return Response(json.dumps({"error": error}), exc.status, mimetype="application/json")

    def _open_session(self, sid: str) -> Json:
        session = self._get_session({}, sid)
        if session["status"] != "open":
            raise StripeFailure(400, f"This Checkout Session is {session['status']}.")
        return session

    def _expire(self, sid: str) -> Json:
        self._open_session(sid)["status"] = "expired"
        return self.emit("checkout.session.expired", self.sessions[sid])

    def _create_session(self, params: Json) -> Json:
        if params.get("mode") != "payment" or not params.get("line_items"):
            raise StripeFailure(400, "mode=payment with line_items is required", "mode")
        now = int(self.clock())
        expires_at = int(params.get("expires_at") or now + DAY)
        if not now + HALF_HOUR <= expires_at <= now + DAY:
            raise StripeFailure(400, "expires_at must be 30 minutes to 24 hours away", "expires_at")
        session = objects.checkout_session(self.url, params, now, expires_at)
        self.sessions[session["id"]], self._asked[session["id"]] = session, params
        return session

    def _get_session(self, _params: Json, sid: str) -> Json:
        if sid not in self.sessions:
            raise StripeFailure(404, f"No such checkout.session: '{sid}'", "session")
        return self.sessions[sid]

    def _expire_session(self, _params: Json, sid: str) -> Json:
        self._expire(sid)
        return self.sessions[sid]

    def _get_intent(self, _params: Json, pid: str) -> Json:
        if pid not in self.intents:
            raise StripeFailure(404, f"No such payment_intent: '{pid}'", "intent")
        return self.intents[pid]

    def _create_refund(self, params: Json) -> Json:
        intent = self._get_intent(params, str(params.get("payment_intent")))
        done = self._refunded.get(intent["id"], 0)
        amount = int(params.get("amount", intent["amount"] - done))
        if not 0 < amount <= intent["amount"] - done:
            raise StripeFailure(400, f"Refund amount ({amount}) exceeds what is left", "amount")
        if params.get("reverse_transfer") == "true" and not intent["transfer_data"]:
            raise StripeFailure(400, "reverse_transfer needs a charge with a transfer")
        self._refunded[intent["id"]] = done + amount
        self.emit("charge.refunded", objects.charge(intent, done + amount))
        return objects.refund(intent, amount, params)

    def _create_account(self, params: Json) -> Json:
        account = objects.account(params)
        self.accounts[account["id"]] = account
        return account

    def _create_account_link(self, params: Json) -> Json:
        account_id = str(params.get("account"))
        if account_id not in self.accounts:
            raise StripeFailure(400, f"No such account: '{account_id}'", "account")
        return objects.account_link(self.url, account_id, int(self.clock()))

    def _pay_page(self, request: Request, sid: str) -> Response:
        session = self.sessions.get(sid)
        if session is None:
            return Response("no such checkout", 404)
        if request.method == "POST":
            try:
                self.complete(sid)
            except StripeFailure as exc:
                return Response(html.escape(exc.message), 410)
            target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", sid)
            return Response("", 303, headers={"Location": target})
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        button = '<form method="post"><button data-testid="pay">Pay</button></form>'
        page = (
            f"<!doctype html><title>Test checkout</title><h1>Pay {html.escape(amount)}</h1>"
            f"<p data-testid='checkout-status'>{session['status']}</p>"
            f"{button if session['status'] == 'open' else ''}"
        )
        return Response(page, 200, mimetype="text/html")
