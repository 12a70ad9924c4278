"""The plugin's endpoints: Stripe's webhook and the tutor's way into payout onboarding."""

from __future__ import annotations

import typing as t

import stripe
from flask import Blueprint
from flask import Flask
from flask import Response
from flask import abort
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.api import BAD_WEBHOOKS
from lti_tool.api import TutorProfile
from lti_tool.api import csrf_exempt
from lti_tool.api import current_user
from lti_tool.api import local_path
from lti_tool.api import require_user
from lti_tool_payment import connect
from lti_tool_payment import webhooks
from lti_tool_payment.provider import StripeProvider
from lti_tool_payment.report import payout_lines
from lti_tool_payment.settings import Settings
from lti_tool_payment.state import PluginState
from lti_tool_payment.state import configure
from lti_tool_payment.state import plugin_state

bp = Blueprint("payment", __name__, template_folder="templates")
#: Stripe's own default: a signature older than this is refused, so a captured delivery
#: cannot be replayed later.
SIGNATURE_TOLERANCE_S = 300
#: Stripe's events are a few kilobytes; anything near this is not from Stripe.
WEBHOOK_MAX_BYTES = 256 * 1024


@bp.record_once
def _configure(state: BlueprintSetupState) -> None:
    # Registering the blueprint is the plugin's moment inside create_app, so a wrong setting
    # stops start-up here instead of failing the first payment.
    configure(t.cast(Flask, state.app))


def _refuse(status: int, error: str, detail: str) -> tuple[Response, int]:
    return jsonify({"error": error, "detail": detail}), status


@bp.post("/payments/stripe/webhook")
@csrf_exempt
def webhook() -> Response | tuple[Response, int]:
    """Receive one Stripe event; only a correctly signed, recent delivery is looked at."""
    # Refused unread: the signature can only be checked over the whole body, so a huge
    # anonymous body would otherwise be held in memory first. A body sent without a length
    # (chunked) is cut off at the same size when it is read.
    request.max_content_length = WEBHOOK_MAX_BYTES
    if (request.content_length or 0) > WEBHOOK_MAX_BYTES:
        return _refuse(413, "too_large", f"A webhook body is at most {WEBHOOK_MAX_BYTES} bytes.")
    state = plugin_state()
    if state is None:
        return _refuse(404, "payments_off", "Stripe payments are not configured on this site.")
    event, problem = _verified_event(state.settings)
    if event is None:
        return _refuse_unverified(problem)
    body = event.to_dict()
    problem_with_event = webhooks.malformed(body)
    if problem_with_event is not None:
        return _refuse(400, "bad_event", problem_with_event)
    try:
        outcome = webhooks.handle(body, StripeProvider(state))
    except webhooks.Retry as exc:
        # Not 2xx, so Stripe delivers the event again later and the work gets finished.
        return _refuse(503, "try_again", str(exc))
    return jsonify({"received": True, "event": body["id"], "outcome": outcome})


def _refuse_unverified(problem: tuple[str, str]) -> tuple[Response, int]:
    """400 with the reason; 429 once this client address has sent too many such deliveries.

    Only deliveries that fail the check are counted, after it: a correctly signed event is
    never counted or refused, even from an address that also sends bad ones (all traffic
    arrives from one proxy address when ``trusted_proxies`` is wrong), because a lost payment
    event costs more than a busy endpoint. The check itself is cheap and bounded by
    :data:`WEBHOOK_MAX_BYTES`, so it always runs.
    """
    retry_after = BAD_WEBHOOKS.take(f"ip:{request.remote_addr or ''}")
    if not retry_after:
        return _refuse(400, problem[0], problem[1])
    response, status = _refuse(
        429, "too_many_bad_deliveries", "Too many deliveries with a wrong signature; slow down."
    )
    response.headers["Retry-After"] = str(retry_after)
    return response, status


def _verified_event(settings: Settings) -> tuple[stripe.Event | None, tuple[str, str]]:
    """The event, checked against the account endpoint's secret and, for account events,
    the Connect endpoint's own one; or why it was refused."""
    secrets = [settings.webhook_secret]
    if settings.connect_webhook_secret:
        secrets.append(settings.connect_webhook_secret)
    problem = ("bad_signature", "No signature.")
    for secret in secrets:
        try:
            event = stripe.Webhook.construct_event(
                request.get_data(),
                request.headers.get("Stripe-Signature"),
                secret,
                tolerance=SIGNATURE_TOLERANCE_S,
                api_key=settings.secret_key,
            )
        except stripe.SignatureVerificationError as exc:
            problem = ("bad_signature", exc.user_message or str(exc))
        except ValueError:
            return None, ("bad_payload", "The body is not a JSON Stripe event.")
        else:
            return event, ("", "")
    return None, problem


def _tutor_and_state() -> tuple[TutorProfile, PluginState]:
    """The signed-in tutor and the plugin's state; 404 when payouts are off, 403 for others."""
    state = plugin_state()
    if state is None:
        abort(404, description="Payouts are not set up on this site.")
    user = current_user()
    tutor = user.tutor_profile if user is not None else None
    if tutor is None:
        abort(403, description="Only tutors have payout accounts.")
    return tutor, state


@bp.get(connect.ONBOARDING_PATH)
@require_user
def onboarding() -> BaseResponse:
    """Send a tutor to Stripe's onboarding; Stripe sends them back here when a link expires."""
    tutor, state = _tutor_and_state()
    return_url = local_path(request.args.get("next"))
    return redirect(StripeProvider(state).payout_onboarding_url(tutor, return_url))


@bp.get(connect.RETURN_PATH)
@require_user
def onboarding_return() -> BaseResponse:
    """Where Stripe sends a tutor back: ask Stripe how far onboarding got, then go on."""
    tutor, state = _tutor_and_state()
    row = connect.account_of(tutor)
    if row is not None:
        try:
            connect.refresh(state.client, row)
        except stripe.StripeError:
            pass  # account.updated will tell
    # onboarding_url puts a path here; anything else did not come from this site.
    return redirect(local_path(request.args.get("next")) or connect.DEFAULT_RETURN_PATH)


@bp.get("/payments/stripe/payouts")
@require_user
def payouts_page() -> str:
    """A tutor's paid sessions: the price, what the platform keeps, what covers Stripe's fee,
    what was refunded, and what reaches them."""
    tutor, _state = _tutor_and_state()
    row = connect.account_of(tutor)
    return render_template(
        "payment/payouts.html", lines=payout_lines(tutor), account=row, tutor=tutor
    )
