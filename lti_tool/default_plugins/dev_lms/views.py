"""Pages of the development platform: a mock course that launches the tool in an iframe.

Development mode only; every route answers 404 in production. The platform lives at the
origin its page is opened from, so opening it on another host name than ``base_url`` (say
``localhost`` instead of ``127.0.0.1``) embeds the tool cross-site, where the browser keeps no
cookie for it and the postMessage storage flow takes over.
"""

from __future__ import annotations

import secrets
import time
import typing as t
from urllib.parse import urlencode

import jwt
import sqlalchemy as sa
from flask import Blueprint
from flask import abort
from flask import current_app
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from itsdangerous import BadData
from itsdangerous import URLSafeTimedSerializer
from werkzeug.wrappers import Response

from lti_tool.default_plugins.dev_lms import platform as dev_platform
from lti_tool.lti.protocol import keys
from lti_tool.lti.protocol import platform_keys
from lti_tool.lti.protocol.views import tool_urls
from lti_tool.models import Registration
from lti_tool.models import Subject
from lti_tool.models import db
from lti_tool.web.csrf import csrf_exempt

bp = Blueprint("dev_lms", __name__, url_prefix=dev_platform.PATH, template_folder="templates")
_HINT_SALT = "lti_tool.dev_lms.message-hint"


@bp.record_once
def _setup(state: t.Any) -> None:
    if state.app.config.get("MODE") == "development":
        platform_keys.init_app(state.app).local.append(dev_platform.resolve_key_set)


@bp.before_request
def _development_only() -> None:
    if current_app.config["MODE"] != "development":
        abort(404)


def _origin() -> str:
    return request.host_url.rstrip("/")


def _registration() -> Registration:
    return dev_platform.ensure_registration(_origin())


def _hints() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_HINT_SALT)


def _platform_error(message: str) -> Response:
    page = render_template("lti/error.html", reason=f"the development LMS: {message}", status=400)
    return current_app.make_response((page, 400))


@bp.get("")
def course_page() -> str:
    """The mock course, with the tool in an iframe."""
    registration = _registration()
    subjects = db.session.scalars(sa.select(Subject).order_by(Subject.name)).all()
    return render_template(
        "lti/dev_lms.html",
        registration=registration,
        people=dev_platform.PEOPLE.values(),
        subjects=subjects,
        course=dev_platform.COURSE,
        tool_origin=tool_urls().origin,
    )


@bp.get("/start")
def start() -> Response:
    """What clicking the course's tool link does: the OIDC login initiation to the tool."""
    registration = _registration()
    person = request.args.get("person", "")
    if person not in dev_platform.PEOPLE:
        abort(400, description="Pick someone to launch as.")
    storage = bool(request.args.get("storage"))
    hint = _hints().dumps(
        {"person": person, "subject": request.args.get("subject", ""), "storage": storage}
    )
    params = {
        "iss": registration.issuer,
        "login_hint": person,
        "target_link_uri": tool_urls().target_link,
        "lti_message_hint": hint,
        "client_id": registration.client_id,
        "lti_deployment_id": dev_platform.DEPLOYMENT_ID,
    }
    if storage:
        params["lti_storage_target"] = "_parent"
    return redirect(f"{tool_urls().login}?{urlencode(params)}")


@bp.route("/auth", methods=["GET", "POST"])
@csrf_exempt
def authorize() -> Response:
    """The platform's OIDC authorization endpoint: checks the request, posts the id_token."""
    registration = _registration()
    params = request.values
    expected = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "client_id": registration.client_id,
        "redirect_uri": tool_urls().launch,
    }
    for name, value in expected.items():
        if params.get(name) != value:
            return _platform_error(f"{name} must be {value!r}")
    if not params.get("nonce") or not params.get("state"):
        return _platform_error("the authentication request needs a nonce and a state")
    try:
        hint = _hints().loads(params.get("lti_message_hint", ""), max_age=600)
    except BadData:
        return _platform_error("lti_message_hint is not one this platform issued")
    person = dev_platform.PEOPLE.get(params.get("login_hint", ""))
    if person is None or hint.get("person") != person.key:
        return _platform_error("login_hint does not match the person who clicked the link")
    token = dev_platform.id_token(
        registration,
        tool_urls(),
        person=person,
        nonce=params["nonce"],
        subject=str(hint.get("subject") or ""),
    )
    fields = {"id_token": token, "state": params["state"]}
    if hint.get("storage"):
        fields["lti_storage_target"] = "_parent"
    page = render_template("lti/dev_lms_post.html", action=tool_urls().launch, fields=fields)
    return current_app.make_response(page)


@bp.get("/jwks.json")
def jwks() -> Response:
    return jsonify(dev_platform.key_set(_registration()))


@bp.post("/token")
@csrf_exempt
def token() -> tuple[Response, int] | Response:
    """Client credentials grant: the tool proves itself with a JWT signed by its own key."""
    registration = _registration()
    if request.form.get("grant_type") != "client_credentials":
        return jsonify({"error": "unsupported_grant_type"}), 400
    assertion = request.form.get("client_assertion", "")
    try:
        kid = jwt.get_unverified_header(assertion).get("kid")
        public = {key["kid"]: key for key in keys.jwks()["keys"]}[kid]
        claims = jwt.decode(
            assertion,
            jwt.PyJWK(public).key,
            algorithms=["RS256"],
            audience=registration.auth_token_url,
            issuer=registration.client_id,
            options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
        )
    except (jwt.PyJWTError, KeyError):
        return jsonify({"error": "invalid_client"}), 401
    if claims.get("sub") != registration.client_id:
        return jsonify({"error": "invalid_client"}), 401
    scope = request.form.get("scope", "")
    return jsonify(
        {
            "access_token": secrets.token_urlsafe(32),
            "token_type": "bearer",
            "expires_in": 3600,
            "scope": scope,
            "issued_at": int(time.time()),
        }
    )
