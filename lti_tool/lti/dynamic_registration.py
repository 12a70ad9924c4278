"""LTI Dynamic Registration 1.0: a platform administrator pastes one URL and the tool registers.

The platform opens ``/lti/dynamic-registration?openid_configuration=...&registration_token=...``
in a window or frame. The tool reads the platform's OpenID configuration, posts its client
registration to the platform's registration endpoint, stores the client id and deployment
the platform returns, and tells the opener it is done (``org.imsglobal.lti.close``). A
refusal at any step is a 400 page that says why; nothing is stored then.
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from urllib.parse import urlsplit

import requests
from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from werkzeug.wrappers import Response

from lti_tool.database import write_transaction
from lti_tool.lti.landing import log
from lti_tool.lti.platforms import find_deployment
from lti_tool.lti.platforms import find_registration
from lti_tool.lti.platforms import products
from lti_tool.lti.product import Product
from lti_tool.lti.tool_config import PLATFORM_CONFIGURATION
from lti_tool.lti.tool_config import TOOL_CONFIGURATION
from lti_tool.lti.tool_config import ToolUrls
from lti_tool.models import Deployment
from lti_tool.models import Registration

bp = Blueprint("lti_dynamic_registration", __name__, template_folder="templates")
TIMEOUT_SECONDS = 10
#: Larger answers are refused unread: a configuration is a few kilobytes.
MAX_BODY_BYTES = 512 * 1024
ENDPOINTS: t.Mapping[str, str] = {
    "authorization_endpoint": "auth_login_url",
    "token_endpoint": "auth_token_url",
    "jwks_uri": "key_set_url",
}


class RegistrationRefused(Exception):
    """Dynamic registration cannot go on; the message is shown to the administrator."""


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _plain_http_allowed() -> bool:
    # A configuration fetched over plain HTTP could be swapped on the way, registering the
    # tool with someone else's endpoints; only local development and tests may use it.
    return current_app.config["MODE"] == "development" or bool(current_app.testing)


def check_url(value: t.Any, label: str, limit: int = 500) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise RegistrationRefused(f"{label} is missing")
    parts = urlsplit(text)
    schemes = {"https", "http"} if _plain_http_allowed() else {"https"}
    if parts.scheme not in schemes or not parts.netloc:
        wanted = " or ".join(f"{scheme}://" for scheme in sorted(schemes))
        raise RegistrationRefused(f"{label} must be an {wanted} URL, not {text!r}")
    if len(text) > limit:
        raise RegistrationRefused(f"{label} is longer than {limit} characters")
    return text


def _json(response: requests.Response, what: str) -> dict[str, t.Any]:
    raw = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
    if len(raw) > MAX_BODY_BYTES:
        raise RegistrationRefused(f"the platform's {what} is larger than the tool accepts")
    try:
        data = json.loads(raw)
    except ValueError:
        raise RegistrationRefused(f"the platform's {what} is not JSON") from None
    if not isinstance(data, dict):
        raise RegistrationRefused(f"the platform's {what} is not a JSON object")
    return data


def _headers(token: str) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def platform_configuration(url: str, token: str) -> dict[str, t.Any]:
    """The platform's OpenID configuration, checked as the specification asks."""
    try:
        response = requests.get(url, headers=_headers(token), timeout=TIMEOUT_SECONDS, stream=True)
    except requests.RequestException as exc:
        raise RegistrationRefused(
            f"the platform's configuration could not be fetched: {exc}"
        ) from None
    with response:
        if response.status_code != 200:
            raise RegistrationRefused(
                f"the platform answered {response.status_code} for its configuration"
            )
        config = _json(response, "configuration")
    issuer = config.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise RegistrationRefused("the platform's configuration names no issuer")
    # The issuer must live where the configuration came from: otherwise any site could
    # claim to be another platform and receive the tool's registration for it.
    if origin_of(issuer) != origin_of(url):
        raise RegistrationRefused(
            f"the issuer {issuer!r} does not match the configuration's origin {origin_of(url)}"
        )
    check_url(issuer, "the issuer", 255)
    for name in (*ENDPOINTS, "registration_endpoint"):
        check_url(config.get(name), f"the configuration's {name}")
    algorithms = config.get("id_token_signing_alg_values_supported")
    if isinstance(algorithms, list) and "RS256" not in algorithms:
        raise RegistrationRefused("the platform does not sign id_tokens with RS256")
    methods = config.get("token_endpoint_auth_methods_supported")
    if isinstance(methods, list) and "private_key_jwt" not in methods:
        raise RegistrationRefused("the platform does not accept private_key_jwt at its token URL")
    return config


def register_client(
    config: t.Mapping[str, t.Any], token: str, body: dict[str, t.Any]
) -> dict[str, t.Any]:
    """Post the client registration; the platform's answer (with ``client_id``)."""
    endpoint = str(config["registration_endpoint"])
    try:
        response = requests.post(
            endpoint, json=body, headers=_headers(token), timeout=TIMEOUT_SECONDS, stream=True
        )
    except requests.RequestException as exc:
        raise RegistrationRefused(f"the registration could not be sent: {exc}") from None
    with response:
        if response.status_code not in (200, 201):
            detail = response.raw.read(500, decode_content=True).decode("utf-8", "replace")
            raise RegistrationRefused(
                f"the platform refused the registration ({response.status_code}): {detail}"
            )
        answer = _json(response, "registration answer")
    client_id = answer.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip() or len(client_id) > 255:
        raise RegistrationRefused("the platform's registration answer has no usable client_id")
    return answer


def _deployment_id(answer: t.Mapping[str, t.Any]) -> str:
    configuration = answer.get(TOOL_CONFIGURATION)
    value = configuration.get("deployment_id") if isinstance(configuration, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is not None and (not isinstance(value, str) or len(value) > 255):
        raise RegistrationRefused("the platform's deployment_id is not a usable string")
    return (value or "").strip()


def store(
    product: type[Product],
    config: t.Mapping[str, t.Any],
    client_id: str,
    deployment_id: str,
) -> tuple[Registration, Deployment | None]:
    """Record the registration (or refresh it, when the platform registered this client id
    before) and the deployment, in one transaction."""
    issuer = str(config["issuer"])
    endpoints = {column: str(config[name]).strip() for name, column in ENDPOINTS.items()}
    audience = config.get("authorization_server")
    lti = config.get(PLATFORM_CONFIGURATION)
    settings = {
        "dynamic_registration": {
            "registered_at": dt.datetime.now(dt.UTC).isoformat(),
            "product_family_code": (lti or {}).get("product_family_code", "")
            if isinstance(lti, dict)
            else "",
        }
    }
    registration = find_registration(issuer, client_id)
    with write_transaction() as session:
        if registration is None:
            registration = Registration(issuer=issuer, client_id=client_id, settings=settings)
            session.add(registration)
        else:
            registration.settings = {**(registration.settings or {}), **settings}
        registration.lms = product.family
        for column, value in endpoints.items():
            setattr(registration, column, value)
        registration.auth_audience = audience if isinstance(audience, str) and audience else None
        deployment = None
        if deployment_id:
            session.flush()
            deployment = find_deployment(registration, deployment_id)
            if deployment is None:
                deployment = Deployment(deployment_id=deployment_id)
                registration.deployments.append(deployment)
    return registration, deployment


def _page(status: int, **values: t.Any) -> Response:
    page = render_template("lti/registration.html", **values)
    response = current_app.make_response((page, status))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/lti/dynamic-registration")
def dynamic_registration() -> Response:
    """Register with the platform that opened this page."""
    token = (request.args.get("registration_token") or "").strip()
    try:
        url = check_url(
            request.args.get("openid_configuration"), "the openid_configuration parameter", 2000
        )
        config = platform_configuration(url, token)
        lti = config.get(PLATFORM_CONFIGURATION)
        family_code = lti.get("product_family_code") if isinstance(lti, dict) else None
        product = products().for_platform(
            str(config["issuer"]), family_code if isinstance(family_code, str) else None
        )
        body = product.registration(product).dynamic_registration(
            ToolUrls(current_app.config["BASE_URL"]), config
        )
        answer = register_client(config, token, body)
        deployment_id = _deployment_id(answer)
        registration, deployment = store(
            product, config, str(answer["client_id"]).strip(), deployment_id
        )
    except RegistrationRefused as exc:
        log.warning("dynamic registration refused: %s [from %s]", exc, request.remote_addr)
        return _page(400, error=str(exc))
    log.info(
        "dynamic registration with %s: client id %s, deployment %s (%s)",
        registration.issuer,
        registration.client_id,
        deployment.deployment_id if deployment else "-",
        product.family,
    )
    return _page(200, registration=registration, deployment=deployment, product=product)
