"""The state and nonce of one OIDC login, and how the browser proves it started that login.

The ``state`` sent to the platform is a signed, time-limited token carrying the nonce and the
registration, so any process can read it back without shared storage. Signing alone does not
bind it to a browser; that proof is either a cookie set by the login response (named after
the state's id, holding the nonce) or, when the platform offers ``lti_storage_target``, the
nonce read back from the platform's postMessage storage by the tool's own page.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import asdict
from dataclasses import dataclass

from flask import Request
from flask import current_app
from itsdangerous import BadData
from itsdangerous import URLSafeTimedSerializer
from werkzeug.wrappers import Response

#: Seconds between the login and the launch; platforms answer within a few seconds.
STATE_MAX_AGE = 600
COOKIE_PREFIX = "lti1p3_state_"
COOKIE_PATH = "/lti/"
_SALT = "lti_tool.lti.login-state"


class StateError(Exception):
    """The state is not one this tool issued, has expired, or this browser did not start it."""


@dataclass(frozen=True)
class LoginState:
    id: str
    """Random; names the cookie and the platform storage keys."""
    nonce: str
    issuer: str
    client_id: str
    registration_id: int
    deployment_id: str = ""
    """The ``lti_deployment_id`` the login named, or empty."""
    target_link_uri: str = ""
    storage_target: str = ""
    """The ``lti_storage_target`` frame name, or empty when only cookies are in play."""

    @property
    def cookie_name(self) -> str:
        return COOKIE_PREFIX + self.id

    @property
    def state_key(self) -> str:
        return f"state_{self.id}"

    @property
    def nonce_key(self) -> str:
        return f"nonce_{self.id}"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue(
    *,
    issuer: str,
    client_id: str,
    registration_id: int,
    deployment_id: str = "",
    target_link_uri: str = "",
    storage_target: str = "",
) -> tuple[LoginState, str]:
    """A new login state and the token to send as ``state``."""
    login = LoginState(
        id=secrets.token_urlsafe(18),
        nonce=secrets.token_urlsafe(24),
        issuer=issuer,
        client_id=client_id,
        registration_id=registration_id,
        deployment_id=deployment_id,
        target_link_uri=target_link_uri,
        storage_target=storage_target,
    )
    return login, _serializer().dumps(asdict(login))


def read(token: str) -> LoginState:
    """The login a ``state`` token stands for.

    :raises StateError: when the token was not issued by this tool or is older than
        :data:`STATE_MAX_AGE`.
    """
    if not token:
        raise StateError("the launch has no state")
    try:
        data = _serializer().loads(token, max_age=STATE_MAX_AGE)
        return LoginState(**data)
    except BadData:
        raise StateError(
            "the state is not one this tool issued, or the login took longer than "
            f"{STATE_MAX_AGE // 60} minutes"
        ) from None
    except TypeError:
        raise StateError("the state is not one this tool issued") from None


def set_cookie(response: Response, request: Request, login: LoginState) -> None:
    """Remember the login in this browser, with attributes an LMS iframe accepts."""
    secure = request.is_secure
    # Over plain HTTP a browser refuses SameSite=None, so only same-site embedding (the
    # development platform) can work there and Lax is the honest setting.
    response.set_cookie(
        login.cookie_name,
        login.nonce,
        max_age=STATE_MAX_AGE,
        path=COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="None" if secure else "Lax",
        partitioned=secure,
    )


def clear_cookie(response: Response, request: Request, login: LoginState) -> None:
    secure = request.is_secure
    response.delete_cookie(
        login.cookie_name,
        path=COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="None" if secure else "Lax",
        partitioned=secure,
    )


def _same(sent: str, expected: str) -> bool:
    # Bytes, because compare_digest refuses non-ASCII text and a browser may send any.
    return bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())


def cookie_matches(request: Request, login: LoginState) -> bool:
    return _same(request.cookies.get(login.cookie_name, ""), login.nonce)


def stored_nonce_matches(stored: str, login: LoginState) -> bool:
    return _same(stored, login.nonce)
