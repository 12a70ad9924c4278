"""LTI 1.3 endpoints: OIDC login initiation, launch, key set and registration documents."""

from __future__ import annotations

import re
import typing as t
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint
from flask import abort
from flask import current_app
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from werkzeug.wrappers import Response

from lti_tool.auth import sign_in
from lti_tool.lti.course.landing import destination
from lti_tool.lti.platforms.registrations import find_deployment
from lti_tool.lti.platforms.registrations import find_registration
from lti_tool.lti.products.registry import products
from lti_tool.lti.products.tool_config import ToolUrls
from lti_tool.lti.protocol import keys
from lti_tool.lti.protocol import platform_keys
from lti_tool.lti.protocol import session as lti_session
from lti_tool.lti.protocol import state
from lti_tool.lti.protocol.provision import provision
from lti_tool.lti.protocol.refusal import log
from lti_tool.lti.protocol.refusal import refuse
from lti_tool.lti.protocol.validation import LaunchError
from lti_tool.lti.protocol.validation import validate_id_token
from lti_tool.metrics import count_launch
from lti_tool.models import Registration
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.outbound import origin_of
from lti_tool.rate_limits import LTI_LAUNCHES
from lti_tool.rate_limits import LTI_LOGINS
from lti_tool.rate_limits import Limit
from lti_tool.web.csrf import csrf_exempt

# lti_tool/lti/static holds the scripts of pages in several rooms (the storage page, the
# picker's answer, the registration page, the development LMS), all loaded from /static/lti/.
bp = Blueprint(
    "lti",
    __name__,
    template_folder="templates",
    static_folder="../static",
    static_url_path="/static/lti",
)
_FRAME_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
#: Settings key marking the built-in development platform, refused outside development.
DEVELOPMENT_PLATFORM = "development_platform"


@bp.record_once
def _setup(state_: t.Any) -> None:
    platform_keys.init_app(state_.app)
    lti_session.init_app(state_.app)


def tool_urls() -> ToolUrls:
    return ToolUrls(current_app.config["BASE_URL"])


def storage_origin(registration: Registration) -> str:
    """The origin the platform's storage frame answers from (and the only one we talk to)."""
    configured = (registration.settings or {}).get("storage_origin")
    if isinstance(configured, str) and configured:
        return configured
    product = products().bound(registration)
    return product.storage_origin or origin_of(registration.auth_login_url) or ""


def _storage_target(value: str | None) -> str:
    value = (value or "").strip()
    return value if _FRAME_NAME.match(value) else ""


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _over_limit(limit: Limit) -> Response | None:
    """A refusal that fits the LMS frame, when this client address has used up *limit*."""
    retry_after = limit.take(f"ip:{request.remote_addr or ''}")
    if not retry_after:
        return None
    response = refuse(
        "too many launches from your network in the last minute; try again in a moment", 429
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def _login_registration(params: t.Mapping[str, str]) -> Registration:
    issuer = (params.get("iss") or "").strip()
    client_id = (params.get("client_id") or "").strip()
    for name in ("iss", "login_hint", "target_link_uri"):
        if not (params.get(name) or "").strip():
            raise LaunchError(f"the login request has no {name}")
    registration = find_registration(issuer, client_id or None)
    if registration is None:
        if client_id:
            raise LaunchError(
                f"no platform {issuer!r} with client id {client_id!r} is registered with this tool"
            )
        known = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Registration)
            .where(Registration.issuer == issuer)
        )
        if known:
            raise LaunchError(f"{issuer!r} has several registrations; the login needs a client_id")
        raise LaunchError(f"the platform {issuer!r} is not registered with this tool")
    development = (registration.settings or {}).get(DEVELOPMENT_PLATFORM)
    if development and current_app.config["MODE"] != "development":
        raise LaunchError("the development platform only works in development mode")
    deployment_id = (params.get("lti_deployment_id") or "").strip()
    if deployment_id and find_deployment(registration, deployment_id) is None:
        raise LaunchError(f"deployment {deployment_id!r} is not registered for {issuer}")
    target = (params.get("target_link_uri") or "").strip()
    if (origin_of(target) or "").lower() != tool_urls().origin.lower():
        raise LaunchError(f"target_link_uri {target!r} is not an address of this tool")
    return registration


@bp.route("/lti/login", methods=["GET", "POST"])
@csrf_exempt
def login() -> Response:
    """OIDC login initiation: answer with the authentication request to the platform."""
    if refused := _over_limit(LTI_LOGINS):
        return refused
    params = request.values
    try:
        registration = _login_registration(params)
    except LaunchError as exc:
        return refuse(exc.reason, exc.status)
    storage_target = _storage_target(params.get("lti_storage_target"))
    login_state, token = state.issue(
        issuer=registration.issuer,
        client_id=registration.client_id,
        registration_id=registration.id,
        deployment_id=(params.get("lti_deployment_id") or "").strip(),
        target_link_uri=params["target_link_uri"].strip(),
        storage_target=storage_target,
    )
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": registration.client_id,
        "redirect_uri": tool_urls().launch,
        "login_hint": params["login_hint"],
        "state": token,
        "nonce": login_state.nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in registration.auth_login_url else "?"
    auth_url = registration.auth_login_url + separator + urlencode(query)
    if storage_target:
        page = render_template(
            "lti/storage.html",
            mode="put",
            target=storage_target,
            platform_origin=storage_origin(registration),
            login=login_state,
            next_url=auth_url,
        )
        response: Response = current_app.make_response(page)
    else:
        response = redirect(auth_url)
    # The cookie is set in both cases: where the browser keeps it, no postMessage is needed.
    state.set_cookie(response, request, login_state)
    return _no_store(response)


def _complete(id_token: str, login_state: state.LoginState) -> Response:
    try:
        validated = validate_id_token(id_token, login_state)
        registration = validated.registration
        code = validated.claims.get("https://purl.imsglobal.org/spec/lti/claim/tool_platform")
        family_code = code.get("product_family_code", "") if isinstance(code, dict) else ""
        product = products().bound(
            registration, family_code if isinstance(family_code, str) else ""
        )
        try:
            launch = product.claims.launch(validated.claims, client_id=registration.client_id)
        except Exception as exc:  # a plugin's mapper must not turn a bad claim into a 500
            log.exception("claim mapping of %s failed", product.family)
            raise LaunchError(f"the launch claims could not be read ({exc})") from None
        done = provision(
            launch,
            deployment=validated.deployment,
            nonce=login_state.nonce,
            expires_at=validated.expires_at,
        )
    except LaunchError as exc:
        _count_launch(login_state, ok=False)
        return refuse(exc.reason, exc.status)
    _count_launch(login_state, ok=True)
    user = db.session.get(User, done.user_id) if done.user_id is not None else None
    if user is not None:
        sign_in(user)
    lti_session.remember(
        launch,
        registration_id=registration.id,
        deployment_id=validated.deployment.id,
        course_id=done.course_id,
    )
    log.info(
        "LTI launch of %s from %s (%s) as %s",
        launch.person.sub if launch.person else "-",
        registration.issuer,
        product.family,
        ",".join(sorted(role.value for role in launch.roles)),
    )
    response = redirect(destination(launch, done.course_id))
    state.clear_cookie(response, request, login_state)
    return _no_store(response)


def _count_launch(login_state: state.LoginState, *, ok: bool) -> None:
    # The issuer comes from the tool's own signed login state, never from the unverified token,
    # so a stranger cannot add a metric series per made-up issuer.
    registration = db.session.get(Registration, login_state.registration_id)
    count_launch(current_app, registration.issuer if registration is not None else None, ok)


@bp.post("/lti/launch")
@csrf_exempt
def launch() -> Response:
    """The platform's authentication response: the id_token and our state."""
    if refused := _over_limit(LTI_LAUNCHES):
        return refused
    if request.form.get("error"):
        description = request.form.get("error_description") or ""
        return refuse(f"the platform refused the login: {request.form['error']} {description}")
    try:
        login_state = state.read(request.form.get("state", ""))
    except state.StateError as exc:
        return refuse(str(exc))
    id_token = request.form.get("id_token", "")
    if state.cookie_matches(request, login_state):
        return _complete(id_token, login_state)
    target = login_state.storage_target or _storage_target(request.form.get("lti_storage_target"))
    registration = db.session.get(Registration, login_state.registration_id)
    if target and registration is not None:
        page = render_template(
            "lti/storage.html",
            mode="get",
            target=target,
            platform_origin=storage_origin(registration),
            login=login_state,
            id_token=id_token,
            state_token=request.form.get("state", ""),
        )
        return _no_store(current_app.make_response(page))
    return refuse(
        "the state does not belong to this browser: the cookie set when the launch started "
        "did not come back (a browser blocking third-party cookies does this). Try opening the "
        "tool in a new window."
    )


@bp.post("/lti/launch/verify")
@csrf_exempt
def verify() -> Response:
    """Second half of a cookieless launch: our page read the nonce back from the platform."""
    if refused := _over_limit(LTI_LAUNCHES):
        return refused
    sender = request.headers.get("Origin") or origin_of(request.headers.get("Referer", ""))
    if sender != request.host_url.rstrip("/"):
        return refuse("the verification was not sent by this tool's own launch page")
    try:
        login_state = state.read(request.form.get("state", ""))
    except state.StateError as exc:
        return refuse(str(exc))
    stored_state = request.form.get("stored_state", "")
    stored_nonce = request.form.get("stored_nonce", "")
    if stored_state != login_state.id or not state.stored_nonce_matches(stored_nonce, login_state):
        return refuse(
            "the platform's storage does not hold this launch's state: the launch did not start "
            "in this browser, or the platform's storage did not answer"
        )
    return _complete(request.form.get("id_token", ""), login_state)


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    """The tool's public keys, including rotated-out keys still in their grace period."""
    response = jsonify(keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/lti/config/<lms>")
def registration_document(lms: str) -> Response:
    """The registration document for one LMS family (``generic`` for any other platform)."""
    try:
        product = products().get(lms)()
    except KeyError as exc:
        abort(404, description=str(exc.args[0]))
    return jsonify(product.registration_document.document(tool_urls()))
