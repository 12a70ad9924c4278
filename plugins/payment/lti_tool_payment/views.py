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
from flask import request
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.auth import current_user
from lti_tool.auth import require_user
from lti_tool.web.csrf import csrf_exempt
from lti_tool_payment import connect
from lti_tool_payment import webhooks
from lti_tool_payment.provider import StripeProvider
from lti_tool_payment.state import configure
from lti_tool_payment.state import plugin_state

bp = Blueprint("payment", __name__)
#: Stripe's own default: a signature older than this is refused, so a captured delivery
#: cannot be replayed later.
SIGNATURE_TOLERANCE_S = 300


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
    state = plugin_state()
    if state is None:
        return _refuse(404, "payments_off", "Stripe payments are not configured on this site.")
    try:
        event = stripe.Webhook.construct_event(
            request.get_data(),
            request.headers.get("Stripe-Signature"),
            state.settings.webhook_secret,
            tolerance=SIGNATURE_TOLERANCE_S,
            api_key=state.settings.secret_key,
        )
    except stripe.SignatureVerificationError as exc:
        return _refuse(400, "bad_signature", exc.user_message or str(exc))
    except ValueError:
        return _refuse(400, "bad_payload", "The body is not a JSON Stripe event.")
    body = event.to_dict()
    outcome = webhooks.handle(body, StripeProvider(state))
    return jsonify({"received": True, "event": body["id"], "outcome": outcome})


@bp.get(connect.ONBOARDING_PATH)
@require_user
def onboarding() -> BaseResponse:
    """Send a tutor to Stripe's onboarding; Stripe sends them back here when a link expires."""
    state = plugin_state()
    if state is None:
        abort(404, description="Payouts are not set up on this site.")
    user = current_user()
    tutor = user.tutor_profile if user is not None else None
    if tutor is None:
        abort(403, description="Only tutors have payout accounts.")
    back = request.args.get("next", "")
    return_url = back if back.startswith("/") and not back.startswith("//") else None
    return redirect(StripeProvider(state).payout_onboarding_url(tutor, return_url))
