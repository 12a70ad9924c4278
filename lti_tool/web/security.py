"""Browser-side protections every response carries, and the limits of a request.

Pages of the tutoring flow are launched inside an LMS, so they may be framed by the registered
platforms (and by the tool itself, as the development LMS does); account and admin pages never
are. Scripts run only from the tool's own origin or with this request's nonce, so injected
markup cannot run. ``docs/security.md`` explains the cookie attributes.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
import typing as t

import sqlalchemy as sa
from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import request
from flask.blueprints import BlueprintSetupState
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from lti_tool.lti.protocol.session import current_launch
from lti_tool.models import Registration
from lti_tool.models import db
from lti_tool.outbound import origin_of

log = logging.getLogger(__name__)

UNFRAMED_KEY = "lti_tool.unframed_blueprints"
NONCE_KEY = "lti_tool.csp_nonce"
ORIGINS_KEY = "lti_tool.platform_origins"
#: Pages whose path starts with one of these may use the camera, microphone and screen.
MEDIA_PATHS: tuple[str, ...] = ("/rooms/",)
MEDIA_FEATURES: tuple[str, ...] = ("camera", "microphone", "display-capture")
HSTS = "max-age=31536000; includeSubDomains"
#: The steps of a launch answer in whatever frame the platform opened, before the tool knows
#: which page holds it; they only act on a platform's signed message, so framing them is harmless.
LAUNCH_ENDPOINTS = frozenset({"lti.login", "lti.launch", "lti.verify"})


def never_framed(blueprint: Blueprint) -> Blueprint:
    """Mark every page of *blueprint* as one no other site may frame (sign-in, admin)."""

    def remember(state: BlueprintSetupState) -> None:
        state.app.extensions.setdefault(UNFRAMED_KEY, set()).add(blueprint.name)

    blueprint.record_once(remember)
    return blueprint


def csp_nonce() -> str:
    """This request's script nonce, made on first use."""
    # Kept in the request's environ, not in g: an application context, and its g, may span
    # several requests (as in tests), and a nonce must never be reused.
    nonce = request.environ.get(NONCE_KEY)
    if nonce is None:
        nonce = request.environ[NONCE_KEY] = secrets.token_urlsafe(18)
    return t.cast(str, nonce)


def platform_origins() -> list[str]:
    """Origins of the registered LMS platforms: issuers and authorization endpoints."""
    cached = request.environ.get(ORIGINS_KEY)
    if cached is not None:
        return t.cast(list[str], cached)
    try:
        rows = db.session.execute(sa.select(Registration.issuer, Registration.auth_login_url))
        found = {origin for row in rows for origin in map(origin_of, row) if origin}
    except SQLAlchemyError:
        # The page itself has been produced; it is served unframeable rather than not at all.
        log.exception("could not read the platforms allowed to frame the tool")
        db.session.rollback()
        found = set()
    request.environ[ORIGINS_KEY] = sorted(found)
    return sorted(found)


def _launch_origins() -> list[str]:
    # A platform may show courses on a host other than its issuer's (one per institution),
    # so the page the launch came from (its return URL) may frame the session it started.
    launch = current_launch()
    origin = origin_of(launch.return_url) if launch is not None else None
    return [origin] if origin else []


def _unframed() -> bool:
    names = current_app.extensions.get(UNFRAMED_KEY, set())
    return any(name in names for name in request.blueprints)


@functools.lru_cache(maxsize=8)
def _base_origin(base_url: str) -> str:
    # Worked out once per BASE_URL rather than per response. Not fixed in init_app: BASE_URL
    # may be set after the app is made (a test pointing it at its live server's port).
    return origin_of(base_url) or ""


def _websocket_origin() -> str:
    scheme = "wss" if request.is_secure else "ws"
    return f"{scheme}://{request.host}"


def content_security_policy(*, html: bool, unframed: bool) -> str:
    if not html or unframed:
        # Nothing but a page needs framing, and data (JSON, files) never does.
        ancestors = "'none'"
    elif request.endpoint in LAUNCH_ENDPOINTS:
        ancestors = "*"
    else:
        ancestors = " ".join(["'self'", *platform_origins(), *_launch_origins()])
    directives = [
        "default-src 'self'",
        f"script-src 'self' 'nonce-{csp_nonce()}'",
        f"style-src 'self' 'nonce-{csp_nonce()}'",
        "object-src 'none'",
        "base-uri 'self'",
        f"connect-src 'self' {_websocket_origin()}",
        "img-src 'self' data:",
        # The development LMS frames the tool at its public URL, which may name the host
        # differently from the address the page was opened at.
        f"frame-src 'self' {_base_origin(current_app.config['BASE_URL'])}".rstrip(),
        f"frame-ancestors {ancestors}",
    ]
    if unframed:
        # Account and admin forms post only to the tool. Other pages leave form-action out:
        # their forms post to the tool, which then redirects to a checkout page or an LMS
        # chosen at run time (a payment provider's URL, a platform's deep linking return),
        # and browsers hold those redirects to form-action as well.
        directives.append("form-action 'self'")
    return "; ".join(directives)


def permissions_policy() -> str:
    allowed = "(self)" if request.path.startswith(MEDIA_PATHS) else "()"
    return ", ".join(f"{feature}={allowed}" for feature in MEDIA_FEATURES)


def _add_headers(response: Response) -> Response:
    headers = response.headers
    unframed = _unframed()
    html = response.mimetype == "text/html"
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", permissions_policy())
    headers.setdefault(
        "Content-Security-Policy", content_security_policy(html=html, unframed=unframed)
    )
    if unframed:
        headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["MODE"] == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(
        hours=app.config["SESSION_LIFETIME_HOURS"]
    )
    # Flask refuses a larger declared body with 413 before anything reads it.
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_REQUEST_BYTES"]
    # Lax keeps the cookie on links into the site and off cross-site posts. Sessions that
    # live inside an LMS iframe switch to SameSite=None (see lti_tool.lti.protocol.session).
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if app.config["MODE"] == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(_add_headers)
