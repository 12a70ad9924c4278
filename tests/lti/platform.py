"""An independent LTI 1.3 platform for the tests, built on lti1p3platform.

Its key set and token endpoint are served over real HTTP by a small ``http.server`` thread; the
authorization step runs in-process: the test (acting as the browser) follows the tool's redirect
to the platform, and the platform answers with the id_token it would auto-post.
"""

from __future__ import annotations

import functools
import json
import time
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.request import TRequest

from lti_tool.lti.protocol.keys import new_key_pair
from tests.live_server import handler_server

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def key_pair() -> tuple[str, str]:
    """(private PEM, public PEM)."""
    pem, _jwk, _kid = new_key_pair()
    private = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, public.decode("ascii")


@functools.cache
def first_key_pair() -> tuple[str, str]:
    """One key pair shared by the platforms of all tests; RSA generation is slow."""
    return key_pair()


class _Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: t.Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
        assert self._registration is not None
        return self._registration


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: t.Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class _QueryRequest(Request):
    def build_metadata(self, request: t.Any) -> TRequest:
        return {
            "method": "GET",
            "form_data": {},
            "get_data": dict(request),
            "headers": {},
            "content_type": None,
            "path": "/auth",
            "json": None,
        }


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, t.Any], **kwargs: t.Any) -> t.Any:
        return launch_data


@dataclass
class LmsPlatform:
    issuer: str = "https://lms.example.edu"
    client_id: str = "tool-client-1"
    deployment_id: str = "deployment-1"
    base_url: str = ""
    """Where the platform's HTTP server listens (key set, token endpoint)."""
    tool_url: str = ""
    private_pem: str = ""
    public_pem: str = ""
    jwks_requests: int = 0
    token_requests: int = 0
    issued_tokens: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.private_pem:
            self.private_pem, self.public_pem = first_key_pair()

    def rotate_key(self) -> None:
        self.private_pem, self.public_pem = key_pair()

    @property
    def auth_url(self) -> str:
        return f"{self.base_url}/auth"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/jwks.json"

    @property
    def kid(self) -> str:
        return str(self.registration().get_kid())

    def registration(self) -> Registration:
        return (
            Registration()
            .set_iss(self.issuer)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_oidc_login_url(f"{self.tool_url}/lti/login")
            .set_launch_url(f"{self.tool_url}/lti/launch")
            .set_tool_key_set_url(f"{self.tool_url}/.well-known/jwks.json")
            .set_platform_public_key(self.public_pem)
            .set_platform_private_key(self.private_pem)
        )

    def conf(self) -> LTI1P3PlatformConfAbstract:
        return _Conf(registration=self.registration())

    def login_url(
        self, login_hint: str = "user-1", deployment_id: str | None = None, **extra: str
    ) -> str:
        conf = self.conf()
        if deployment_id is not None:
            conf.get_registration().set_deployment_id(deployment_id)
        login = _Login(None, conf)
        login.set_lti_message_hint(hint="resource-link-1")
        url = login.prepare_preflight_url(login_hint)
        if extra:
            url += "&" + "&".join(f"{key}={value}" for key, value in extra.items())
        return url

    def message(
        self,
        auth: dict[str, str],
        *,
        sub: str = "user-1",
        roles: list[str] | None = None,
        name: str | None = "Grace Hopper",
        email: str | None = "grace@example.edu",
        context: dict[str, t.Any] | None = None,
        with_context: bool = True,
        custom: dict[str, str] | None = None,
    ) -> dict[str, t.Any]:
        """The id_token payload lti1p3platform builds for this authentication request."""
        launch = _Launch(_QueryRequest(auth), self.conf())
        launch._registration = launch._platform_config.get_registration()
        launch.validate_preflight_response(auth)
        launch.set_user_data(sub, [LEARNER] if roles is None else roles, name, email)
        launch.set_resource_link_claim("resource-link-1", title="Book a tutor")
        if with_context:
            context = context or {"context_id": "course-42", "context_title": "Algebra I"}
            launch.set_launch_context_claim(**context)
        if custom:
            launch.set_custom_parameters_claim(custom)
        message, _state = launch.get_launch_data()
        if name and " " in name:
            given, family = name.split(" ", 1)
            message.update({"given_name": given, "family_name": family})
        return message

    def sign(
        self,
        message: dict[str, t.Any],
        *,
        lifetime: int = 300,
        headers: dict[str, t.Any] | None = None,
        timestamps: bool = True,
    ) -> str:
        payload = dict(message)
        if timestamps:
            now = int(time.time())
            payload.setdefault("iat", now)
            payload.setdefault("exp", now + lifetime)
        chosen = {"kid": self.kid} if headers is None else headers
        return jwt.encode(payload, self.private_pem, algorithm="RS256", headers=chosen)

    def launch(self, auth: dict[str, str], **claims: t.Any) -> dict[str, str]:
        """The form lti1p3platform itself would auto-post: id_token, state, launch_url."""
        launch = _Launch(_QueryRequest(auth), self.conf())
        launch.set_user_data(claims.get("sub", "user-1"), claims.get("roles", [LEARNER]))
        launch.set_resource_link_claim("resource-link-1")
        launch.set_launch_context_claim("course-42", context_title="Algebra I")
        return dict(launch.lti_launch())

    # -- HTTP side -------------------------------------------------------------------------

    def handle_get(self, path: str, auth: str) -> tuple[int, dict[str, t.Any]]:
        if path == "/jwks.json":
            self.jwks_requests += 1
            return 200, dict(self.conf().get_jwks())
        if path == "/service":
            # A stand-in for an AGS or NRPS endpoint: it only checks the bearer token.
            token = auth.removeprefix("Bearer ")
            if token not in self.issued_tokens:
                return 401, {"error": "unknown token"}
            return 200, {"ok": self.conf().validate_token(token)}
        return 404, {"error": "not found"}

    def handle_post(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, t.Any]]:
        conf = self.conf()
        if path == "/token":
            self.token_requests += 1
            try:
                answer = dict(conf.get_access_token(form))
            except Exception as exc:  # the platform library raises bare exceptions
                return 400, {"error": "invalid_client", "detail": str(exc)}
            self.issued_tokens.append(answer["access_token"])
            return 200, answer
        return 404, {"error": "not found"}


def _handler(platform: LmsPlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict[str, t.Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._answer(*platform.handle_get(self.path, self.headers.get("Authorization") or ""))

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {key: values[0] for key, values in parse_qs(raw).items()}
            self._answer(*platform.handle_post(self.path, form))

        def log_message(self, format: str, *args: t.Any) -> None:
            return None

    return Handler


@contextmanager
def serve(platform: LmsPlatform) -> Iterator[LmsPlatform]:
    with handler_server(_handler(platform)) as url:
        platform.base_url = url
        yield platform


def register_with_tool(platform: LmsPlatform, lms: str = "generic") -> None:
    """Add *platform* to the tool's registrations, as an administrator would."""
    from lti_tool.lti.platforms import registrations as platforms

    platforms.add_platform(
        lms=lms,
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_id=platform.deployment_id,
        auth_login_url=platform.auth_url,
        auth_token_url=platform.token_url,
        key_set_url=platform.jwks_url,
    )
