"""An LTI Advantage platform for the tests: lti1p3platform's AGS, NRPS and deep linking
services behind real HTTP, with what the tool sent kept for the assertions.

It extends :class:`tests.lti.platform.LmsPlatform` (OIDC, key set, token endpoint) with:

- a token endpoint that also records how each request was encoded and checks the client
  assertion's claims, and issues tokens of a chosen lifetime;
- line items whose URLs carry a query string, the way some platforms write them, so a score
  posted to the wrong URL is caught;
- a membership service that pages by ``Link: <...>; rel="next"``;
- a deep linking return URL that validates the response with lti1p3platform;
- the OpenID configuration and registration endpoints of Dynamic Registration.
"""

from __future__ import annotations

import json
import threading
import time
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import jwt
import requests
from flask import Flask
from lti1p3platform.ags import LtiAgs
from lti1p3platform.constants import LTI_1P3_ACCESS_TOKEN_SCOPES
from lti1p3platform.nrps import LtiNrps

from lti_tool.lti.protocol import tokens
from lti_tool.models import Subject
from lti_tool.models import db
from tests.live_server import handler_server
from tests.lti.conftest import Tool
from tests.lti.platform import LmsPlatform
from tests.lti.platform import register_with_tool
from tests.lti.services_platform import Members
from tests.lti.services_platform import QueryRequest
from tests.lti.services_platform import Reply
from tests.lti.services_platform import Scores

JsonBody = dict[str, t.Any] | list[t.Any]


@dataclass
class Seen:
    """One request as the platform received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))

    @property
    def json(self) -> t.Any:
        return json.loads(self.body)


@dataclass
class AdvantagePlatform(LmsPlatform):
    token_lifetime: int = 3600
    seen: list[Seen] = field(default_factory=list)
    assertions: list[dict[str, t.Any]] = field(default_factory=list)
    scores: Scores = field(default_factory=Scores)
    members: Members = field(default_factory=Members)
    deep_link_responses: list[dict[str, t.Any]] = field(default_factory=list)
    #: Dynamic registration: the token the platform expects, and what the tool posted.
    registration_token: str = "registration-token-1"
    registrations: list[dict[str, t.Any]] = field(default_factory=list)
    registered_client_id: str = "dynamic-client-7"
    openid_overrides: dict[str, t.Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- claims for launches -----------------------------------------------------------------

    @property
    def lineitems_url(self) -> str:
        return f"{self.base_url}/ags/lineitems"

    @property
    def memberships_url(self) -> str:
        return f"{self.base_url}/nrps/memberships"

    @property
    def deep_link_return_url(self) -> str:
        return f"{self.base_url}/deep_links"

    def ags_claim(self, lineitem: str | None = None) -> dict[str, t.Any]:
        return LtiAgs(self.lineitems_url, lineitem).get_lti_ags_launch_claim()

    def nrps_claim(self) -> dict[str, t.Any]:
        return LtiNrps(self.memberships_url).get_lti_nrps_launch_claim()

    def requests_to(self, path: str, method: str | None = None) -> list[Seen]:
        return [s for s in self.seen if s.path == path and method in (None, s.method)]

    # -- HTTP --------------------------------------------------------------------------------

    def answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
        if seen.method == "GET" and seen.path in {"/jwks.json", "/service"}:
            status, body = self.handle_get(seen.path, seen.headers.get("Authorization", ""))
            return Reply(status, body)
        if seen.path == "/token":
            return self._token(seen)
        request = QueryRequest(seen.method, seen.path, seen.query, seen.headers, seen.body)
        if seen.path.startswith("/ags/"):
            return self.scores.answer(self, request)
        if seen.path == "/nrps/memberships":
            return self.members.answer(self, request)
        if seen.path == "/deep_links" and seen.method == "POST":
            return self._deep_link_return(seen)
        if seen.path == "/.well-known/openid-configuration":
            return Reply(200, self.openid_configuration())
        if seen.path == "/register" and seen.method == "POST":
            return self._register(seen)
        return Reply(404, {"error": "not found"})

    def _token(self, seen: Seen) -> Reply:
        form = seen.form
        status, body = self.handle_post("/token", form)
        if status == 200 and isinstance(body, dict):
            claims = jwt.decode(form["client_assertion"], options={"verify_signature": False})
            with self._lock:
                self.assertions.append(claims)
            body["expires_in"] = self.token_lifetime
        return Reply(status, body)

    def _deep_link_return(self, seen: Seen) -> Reply:
        token = seen.form.get("JWT", "")
        conf = self.conf()
        try:
            items = conf.validate_deeplinking_resp({"JWT": token})
            claims = conf.tool_validate_and_decode(token)
        except Exception as exc:  # lti1p3platform raises bare exceptions
            return Reply(400, {"error": str(exc)})
        with self._lock:
            self.deep_link_responses.append({"items": items, "claims": claims})
        return Reply(200, {"ok": True})

    # -- dynamic registration -----------------------------------------------------------

    def openid_configuration(self) -> dict[str, t.Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.auth_url,
            "token_endpoint": self.token_url,
            "jwks_uri": self.jwks_url,
            "registration_endpoint": f"{self.base_url}/register",
            "scopes_supported": ["openid", *LTI_1P3_ACCESS_TOKEN_SCOPES],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["iss", "sub", "name", "email"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "test-lms",
                "version": "1.0",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest"},
                ],
            },
            **self.openid_overrides,
        }

    def _register(self, seen: Seen) -> Reply:
        if seen.headers.get("Authorization") != f"Bearer {self.registration_token}":
            return Reply(401, {"error": "invalid registration token"})
        if not seen.headers.get("Content-Type", "").startswith("application/json"):
            return Reply(415, {"error": "send JSON"})
        body = seen.json
        with self._lock:
            self.registrations.append(body)
        configuration = dict(body["https://purl.imsglobal.org/spec/lti-tool-configuration"])
        configuration["deployment_id"] = self.deployment_id
        return Reply(
            200,
            {
                **body,
                "client_id": self.registered_client_id,
                "https://purl.imsglobal.org/spec/lti-tool-configuration": configuration,
            },
        )


def _handler(platform: AdvantagePlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                method=self.command,
                path=parts.path,
                query=parts.query,
                headers={name: value for name, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            reply = platform.answer(seen)
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.media_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: t.Any) -> None:
            return None

    return Handler


@contextmanager
def serve_advantage(
    platform: AdvantagePlatform, *, issuer_is_origin: bool = False
) -> Iterator[AdvantagePlatform]:
    """Serve *platform*; with *issuer_is_origin* its issuer becomes its own address, as Dynamic
    Registration requires of a platform's configuration."""
    with handler_server(_handler(platform)) as url:
        platform.base_url = url
        if issuer_is_origin:
            platform.issuer = platform.base_url
        yield platform


def wait_for(condition: t.Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@dataclass
class AdvantageTool(Tool):
    platform: AdvantagePlatform

    def launch_with(self, extra: dict[str, t.Any], **claims: t.Any) -> requests.Response:
        """A whole launch whose id_token also carries *extra* claims."""
        auth = self.start()
        message = self.platform.message(auth, **claims)
        message.update(extra)
        return self.post(self.platform.sign(message), auth["state"])


@contextmanager
def advantage_tool(
    app: Flask,
    served: tuple[t.Any, str],
    *,
    registered: bool = True,
    issuer_is_origin: bool = False,
) -> Iterator[AdvantageTool]:
    """*app* served at the live server's address, an Advantage platform beside it (registered
    with the tool unless told otherwise), two subjects and a browser."""
    dispatcher, url = served
    dispatcher.app = app
    app.config["BASE_URL"] = url
    tokens.forget_tokens()
    platform = AdvantagePlatform(tool_url=url)
    with (
        serve_advantage(platform, issuer_is_origin=issuer_is_origin),
        requests.Session() as browser,
    ):
        if registered:
            register_with_tool(platform)
        db.session.add_all(
            [Subject(slug="algebra", name="Algebra"), Subject(slug="geometry", name="Geometry")]
        )
        db.session.commit()
        yield AdvantageTool(app=app, url=url, platform=platform, browser=browser)
    tokens.forget_tokens()
    dispatcher.app = None
