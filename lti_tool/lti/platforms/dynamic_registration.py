"""LTI Dynamic Registration 1.0: a platform administrator pastes one URL and the tool registers.

The tool's administrator first makes a one-time invitation (``lti-tool platform invite``),
whose URL ``/lti/dynamic-registration?invite=...`` the platform's administrator pastes into
the platform. The platform opens it with ``openid_configuration`` and ``registration_token``
added, in a window or frame. The tool reads the platform's OpenID configuration, posts its
client registration to the platform's registration endpoint, stores the client id and
deployment the platform returns, uses up the invitation in that same transaction, and tells
the opener it is done (``org.imsglobal.lti.close``).

Without a usable invitation the page is a 403 and the tool calls nothing: otherwise anyone
could register a platform, and make the tool send requests wherever they like. Every request
to the platform goes through :mod:`lti_tool.outbound`. Any other refusal is a 400 page that
says why in the tool's words, never with the platform's reply; nothing is stored then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import typing as t
from urllib.parse import urlencode
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from lti_tool import outbound
from lti_tool.database import write_transaction
from lti_tool.lti.platforms.registrations import find_deployment
from lti_tool.lti.platforms.registrations import find_registration
from lti_tool.lti.products.product import Product
from lti_tool.lti.products.registry import products
from lti_tool.lti.products.tool_config import PLATFORM_CONFIGURATION
from lti_tool.lti.products.tool_config import TOOL_CONFIGURATION
from lti_tool.lti.products.tool_config import ToolUrls
from lti_tool.lti.protocol.refusal import log
from lti_tool.models import Deployment
from lti_tool.models import Registration
from lti_tool.models import RegistrationInvite
from lti_tool.models import db
from lti_tool.models import utcnow

bp = Blueprint("lti_dynamic_registration", __name__, template_folder="templates")
PATH = "/lti/dynamic-registration"
#: How long an invitation lasts unless its administrator says otherwise, and at most.
INVITE_HOURS = 24
MAX_INVITE_HOURS = 168
MAX_NOTE_LENGTH = 255
ENDPOINTS: t.Mapping[str, str] = {
    "authorization_endpoint": "auth_login_url",
    "token_endpoint": "auth_token_url",
    "jwks_uri": "key_set_url",
}


class RegistrationRefused(Exception):
    """Dynamic registration cannot go on; the message is shown to the administrator."""

    status = 400


class InviteRefused(RegistrationRefused):
    """There is no usable invitation: nobody asked the tool to register this platform."""

    status = 403


def invite_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_url(token: str) -> str:
    return f"{current_app.config['BASE_URL']}{PATH}?{urlencode({'invite': token})}"


def create_invite(hours: int = INVITE_HOURS, note: str = "") -> tuple[RegistrationInvite, str]:
    """A new invitation valid for *hours*, and its token (which is stored only as a digest)."""
    if not 1 <= hours <= MAX_INVITE_HOURS:
        raise ValueError(f"an invitation lasts from 1 to {MAX_INVITE_HOURS} hours, not {hours}")
    if len(note) > MAX_NOTE_LENGTH:
        raise ValueError(f"the note is longer than {MAX_NOTE_LENGTH} characters")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with write_transaction() as session:
        invite = RegistrationInvite(
            token_digest=invite_digest(token),
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
            note=note.strip(),
        )
        session.add(invite)
    return invite, token


def list_invites() -> list[RegistrationInvite]:
    # The listing names each used invitation's registration: loaded in one query, not per row.
    return list(
        db.session.scalars(
            sa.select(RegistrationInvite)
            .options(selectinload(RegistrationInvite.registration))
            .order_by(RegistrationInvite.created_at.desc())
        )
    )


def usable_invite(token: str) -> RegistrationInvite:
    """The unused, unexpired invitation whose token is *token*.

    :raises InviteRefused: saying whether the invitation is missing, unknown, expired or used.
    """
    if not token:
        raise InviteRefused(
            "this registration link carries no invitation; ask the tool's administrator "
            "for one (lti-tool platform invite)"
        )
    invite = db.session.scalar(
        sa.select(RegistrationInvite).where(RegistrationInvite.token_digest == invite_digest(token))
    )
    if invite is None:
        raise InviteRefused("the invitation in this registration link is not known")
    if invite.used_at is not None:
        raise InviteRefused("the invitation in this registration link has been used already")
    if invite.expires_at <= utcnow():
        raise InviteRefused(
            f"the invitation in this registration link expired on "
            f"{invite.expires_at:%Y-%m-%d %H:%M} UTC"
        )
    return invite


def _plain_http_allowed() -> bool:
    # A configuration fetched over plain HTTP could be swapped on the way, registering the
    # tool with someone else's endpoints; only local development and tests may use it.
    return outbound.current_rules().plain_http


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
    try:
        data = json.loads(response.content)
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


def _refuse_answer(response: requests.Response, url: str, message: str) -> t.NoReturn:
    """Refuse an unwanted answer. Its text stays in the log: shown on the page, it would relay
    whatever the endpoint (possibly not a platform at all) answered."""
    log.warning("%s answered %s: %s", url, response.status_code, outbound.excerpt(response))
    raise RegistrationRefused(message + _redirect_note(response))


def _redirect_note(response: requests.Response) -> str:
    return " and redirects are not followed" if response.is_redirect else ""


def platform_configuration(url: str, token: str) -> dict[str, t.Any]:
    """The platform's OpenID configuration, checked as the specification asks."""
    try:
        response = outbound.fetch("GET", url, headers=_headers(token))
    except outbound.OutboundError as exc:
        raise RegistrationRefused(
            f"the platform's configuration could not be fetched: {exc}"
        ) from None
    if response.status_code != 200:
        _refuse_answer(
            response, url, f"the platform answered {response.status_code} for its configuration"
        )
    config = _json(response, "configuration")
    issuer = config.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise RegistrationRefused("the platform's configuration names no issuer")
    # The issuer must live where the configuration came from: otherwise any site could
    # claim to be another platform and receive the tool's registration for it.
    origin = (outbound.origin_of(url) or "").lower()
    if (outbound.origin_of(issuer) or "").lower() != origin:
        raise RegistrationRefused(
            f"the issuer {issuer!r} does not match the configuration's origin {origin}"
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
        response = outbound.fetch("POST", endpoint, json=body, headers=_headers(token))
    except outbound.OutboundError as exc:
        raise RegistrationRefused(f"the registration could not be sent: {exc}") from None
    if response.status_code not in (200, 201):
        _refuse_answer(
            response,
            endpoint,
            f"the platform refused the registration (HTTP status {response.status_code})",
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
    invite: RegistrationInvite,
) -> tuple[Registration, Deployment | None]:
    """Record the registration (or refresh it, when the platform registered this client id
    before) and the deployment, and use up *invite*, in one transaction.

    :raises InviteRefused: when the invitation was used (or expired) meanwhile, for instance
        by a second registration with the same link running at the same time.
    """
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
    invite_id = invite.id
    with write_transaction() as session:
        now = utcnow()
        # A conditional update, not a read then a write: of two registrations racing with
        # one invitation, the second waits for the first's row lock (PostgreSQL) or write
        # lock (SQLite) and then finds nothing left to claim.
        claimed = session.execute(
            sa.update(RegistrationInvite)
            .where(
                RegistrationInvite.id == invite_id,
                RegistrationInvite.used_at.is_(None),
                RegistrationInvite.expires_at > now,
            )
            .values(used_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise InviteRefused(
                "the invitation in this registration link was used or expired meanwhile"
            )
        registration = find_registration(issuer, client_id)
        if registration is None:
            registration = Registration(issuer=issuer, client_id=client_id, settings=settings)
            session.add(registration)
        else:
            registration.settings = {**(registration.settings or {}), **settings}
        registration.lms = product.family
        for column, value in endpoints.items():
            setattr(registration, column, value)
        registration.auth_audience = audience if isinstance(audience, str) and audience else None
        # Written by the same flush as the registration, once it has an id; the claim above
        # already holds the invitation's row.
        invite.registration = registration
        deployment = None
        if deployment_id:
            session.flush()
            deployment = find_deployment(registration, deployment_id)
            if deployment is None:
                deployment = Deployment(deployment_id=deployment_id)
                registration.deployments.append(deployment)
    return registration, deployment


def _page(status: int, **values: t.Any) -> Response:
    page = render_template("lti/registration.html", status=status, **values)
    response = current_app.make_response((page, status))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get(PATH)
def dynamic_registration() -> Response:
    """Register with the platform that opened this page."""
    token = (request.args.get("registration_token") or "").strip()
    try:
        invite = usable_invite((request.args.get("invite") or "").strip())
        url = check_url(
            request.args.get("openid_configuration"), "the openid_configuration parameter", 2000
        )
        config = platform_configuration(url, token)
        lti = config.get(PLATFORM_CONFIGURATION)
        family_code = lti.get("product_family_code") if isinstance(lti, dict) else None
        product = products().for_platform(
            str(config["issuer"]), family_code if isinstance(family_code, str) else None
        )
        body = product().registration_document.dynamic_registration(
            ToolUrls(current_app.config["BASE_URL"]), config
        )
        answer = register_client(config, token, body)
        deployment_id = _deployment_id(answer)
        registration, deployment = store(
            product, config, str(answer["client_id"]).strip(), deployment_id, invite
        )
    except RegistrationRefused as exc:
        log.warning("dynamic registration refused: %s [from %s]", exc, request.remote_addr)
        return _page(exc.status, error=str(exc))
    log.info(
        "dynamic registration with %s: client id %s, deployment %s (%s)",
        registration.issuer,
        registration.client_id,
        deployment.deployment_id if deployment else "-",
        product.family,
    )
    return _page(200, registration=registration, deployment=deployment, product=product)
