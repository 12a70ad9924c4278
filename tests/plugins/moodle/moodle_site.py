"""A stand-in for the parts of a Moodle site the tool calls, over HTTP, recording each request.

``mod/lti/services.php`` answers line item searches with the one line item Moodle would hold and
accepts scores, after checking the bearer token against those the test platform issued; paths
and query strings are kept apart, as Moodle routes on the path and reads ``type_id`` from the
query. ``mod/lti/openid-configuration.php`` and ``mod/lti/openid-registration.php`` answer as
Moodle's dynamic registration does, bare-string ``messages_supported`` included.
"""

from __future__ import annotations

import json
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs
from urllib.parse import urlsplit

from tests.live_server import handler_server

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
REGISTRATION_TOKEN = "moodle-registration-token"
#: What Moodle makes up for the client id, and the id of the tool configuration it creates.
REGISTERED_CLIENT_ID = "Zq8mP2xR7tY4wK1"
REGISTERED_DEPLOYMENT_ID = "4"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str
    token: str
    body: t.Any


@dataclass
class MoodleSite:
    tokens: list[str]
    """The bearer tokens the platform issued; services refuse any other with 401."""
    url: str = ""
    received: list[Received] = field(default_factory=list)

    @property
    def services(self) -> str:
        return f"{self.url}/mod/lti/services.php"

    def line_item(self) -> dict[str, t.Any]:
        return {
            "id": f"{self.services}/2/lineitems/5/lineitem?type_id=3",
            "label": "Algebra tutoring",
            "scoreMaximum": 1,
            "resourceLinkId": "7",
            "tag": "attendance",
        }

    def openid_configuration(self) -> dict[str, t.Any]:
        return {
            "issuer": self.url,
            "token_endpoint": f"{self.url}/mod/lti/token.php",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": f"{self.url}/mod/lti/certs.php",
            "authorization_endpoint": f"{self.url}/mod/lti/auth.php",
            "registration_endpoint": f"{self.url}/mod/lti/openid-registration.php",
            "scopes_supported": [
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
                "openid",
            ],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "moodle",
                "version": "4.4.1 (Build: 20240610)",
                "messages_supported": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"],
                "placements": ["AddContentMenu"],
            },
        }

    def registered(self, request: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """Moodle's answer: the registration echoed with its client and deployment ids."""
        configuration = dict(request.get(TOOL_CONFIGURATION) or {})
        return {
            **request,
            "client_id": REGISTERED_CLIENT_ID,
            TOOL_CONFIGURATION: {**configuration, "deployment_id": REGISTERED_DEPLOYMENT_ID},
        }

    def answer(self, seen: Received) -> tuple[int, t.Any]:
        if seen.path == "/mod/lti/openid-configuration.php":
            return 200, self.openid_configuration()
        if seen.path == "/mod/lti/openid-registration.php":
            if seen.token != REGISTRATION_TOKEN:
                return 401, {"error": "token_already_used"}
            return 200, self.registered(seen.body)
        if seen.token not in self.tokens:
            return 401, {"error": "unknown token"}
        if seen.method == "GET" and seen.path.endswith("/lineitems"):
            return 200, [self.line_item()]
        if seen.method == "POST" and seen.path.endswith("/lineitem/scores"):
            return 200, {}
        return 404, {"error": f"No handler found for {seen.path}"}


def _handler(site: MoodleSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen = Received(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                content_type=self.headers.get("Content-Type") or "",
                token=(self.headers.get("Authorization") or "").removeprefix("Bearer "),
                body=json.loads(raw) if raw else None,
            )
            site.received.append(seen)
            status, body = site.answer(seen)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: t.Any) -> None:
            return None

    return Handler


@contextmanager
def serve_site(tokens: list[str]) -> Iterator[MoodleSite]:
    site = MoodleSite(tokens=tokens)
    with handler_server(_handler(site)) as url:
        site.url = url
        yield site
