"""Cross-site request forgery protection for every state-changing request.

A form post must carry the session's token (``csrf_token`` field or ``X-CSRF-Token``
header). A JSON body passes without one: a browser only sends ``application/json`` across
sites after a CORS preflight, which the tool never grants. Endpoints whose callers prove
themselves otherwise (LTI launches carry a signed id_token, payment webhooks a signature)
opt out with :func:`csrf_exempt`.
"""

from __future__ import annotations

import hmac
import secrets
import typing as t

from flask import Flask
from flask import abort
from flask import current_app
from flask import request
from flask import session

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SESSION_KEY = "csrf_token"


def csrf_exempt(view: F) -> F:
    """Let *view* accept cross-site posts; it must authenticate the sender itself."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def csrf_token() -> str:
    """The token for the current session, created on first use."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def _check() -> None:
    if request.method in SAFE_METHODS or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "csrf_exempt", False):
        return
    if request.is_json:
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get(SESSION_KEY)
    if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        abort(
            400,
            description="The form is missing its security token or it has expired; "
            "reload the page and try again.",
        )


def init_app(app: Flask) -> None:
    app.before_request(_check)
    app.jinja_env.globals["csrf_token"] = csrf_token
