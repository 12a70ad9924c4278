"""The guard on requests to platform-given URLs, against real servers on loopback."""

from __future__ import annotations

import ipaddress
import json
import typing as t
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import pytest
from flask import Flask

from lti_tool.config import ConfigError
from lti_tool.config import load_config
from lti_tool.outbound import ALLOW_LOOPBACK_KEY
from lti_tool.outbound import MAX_BODY_BYTES
from lti_tool.outbound import AddressRefused
from lti_tool.outbound import BodyTooLarge
from lti_tool.outbound import OutboundError
from lti_tool.outbound import OutboundRules
from lti_tool.outbound import fetch
from lti_tool.outbound import parse_allow
from lti_tool.outbound import rules_for
from tests.live_server import handler_server

LOCAL = OutboundRules(plain_http=True, loopback=True)
PRODUCTION_OVER_HTTP = OutboundRules(plain_http=True)


class _Platform(BaseHTTPRequestHandler):
    """Answers /ok with JSON, /moved with a redirect to /ok, /big with more than the limit."""

    paths: t.ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.paths.append(self.path)
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = (
            b"x" * (MAX_BODY_BYTES + 1)
            if self.path == "/big"
            else json.dumps({"host": self.headers["Host"]}).encode()
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: t.Any) -> None:
        return None


@pytest.fixture
def platform() -> Iterator[str]:
    _Platform.paths = []
    with handler_server(_Platform) as url:
        yield url


def test_loopback_is_reached_when_the_rules_allow_it(platform: str) -> None:
    response = fetch("GET", f"{platform}/ok", rules=LOCAL)
    assert response.status_code == 200
    assert response.json() == {"host": urlsplit(platform).netloc}


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "[fe80::1]",
        "100.64.0.1",
        "224.0.0.1",
        "0.0.0.0",
        "240.0.0.1",
        "[::ffff:10.0.0.1]",
    ],
)
def test_non_public_addresses_are_refused_without_connecting(platform: str, host: str) -> None:
    port = urlsplit(platform).port
    with pytest.raises(AddressRefused, match="resolves to an address that is not allowed"):
        fetch("GET", f"http://{host}:{port}/ok", rules=PRODUCTION_OVER_HTTP)
    assert _Platform.paths == []


def test_plain_http_needs_development_rules(platform: str) -> None:
    with pytest.raises(OutboundError, match=r"only https:// URLs"):
        fetch("GET", f"{platform}/ok", rules=OutboundRules(loopback=True))
    with pytest.raises(OutboundError, match=r"only http:// or https:// URLs"):
        fetch("GET", "file:///etc/passwd", rules=LOCAL)
    assert _Platform.paths == []


@pytest.mark.parametrize("allow", ["localhost", "127.0.0.0/8", "127.0.0.1", "::1/128,127.0.0.1"])
def test_outbound_allow_names_hosts_and_networks(platform: str, allow: str) -> None:
    hosts, networks = parse_allow(allow)
    rules = OutboundRules(plain_http=True, hosts=hosts, networks=networks)
    url = platform.replace("127.0.0.1", "localhost")
    assert fetch("GET", f"{url}/ok", rules=rules).status_code == 200
    # What is allowed is that host or network, not everything else as well.
    with pytest.raises(AddressRefused):
        fetch("GET", "http://10.0.0.1/ok", rules=rules)


def test_a_redirect_is_an_answer_not_followed(platform: str) -> None:
    response = fetch("GET", f"{platform}/moved", rules=LOCAL)
    assert response.status_code == 302 and response.is_redirect
    assert _Platform.paths == ["/moved"]


def test_a_body_over_the_limit_is_refused(platform: str) -> None:
    with pytest.raises(BodyTooLarge, match="larger than the tool accepts"):
        fetch("GET", f"{platform}/big", rules=LOCAL)
    assert len(
        fetch("GET", f"{platform}/big", rules=LOCAL, max_bytes=2 * MAX_BODY_BYTES).content
    ) == (MAX_BODY_BYTES + 1)


def test_a_closed_port_is_reported_without_the_socket_error() -> None:
    with handler_server(_Platform) as url:
        pass
    with pytest.raises(OutboundError) as refused:
        fetch("GET", f"{url}/ok", rules=LOCAL)
    assert str(refused.value) == "could not connect to 127.0.0.1"


def _app(**config: t.Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    return app


def test_the_app_rules_follow_the_mode() -> None:
    production = rules_for(_app(MODE="production", OUTBOUND_ALLOW="lms.internal,10.2.0.0/16"))
    assert (production.plain_http, production.loopback) == (False, False)
    assert production.host_allowed("LMS.internal.")
    assert production.address_allowed(ipaddress.ip_address("10.2.3.4"))
    development = rules_for(_app(MODE="development"))
    assert (development.plain_http, development.loopback) == (True, True)
    testing = rules_for(_app(MODE="production", TESTING=True))
    assert (testing.plain_http, testing.loopback) == (True, True)
    strict_test = rules_for(_app(MODE="development", **{ALLOW_LOOPBACK_KEY: False}))
    assert (strict_test.plain_http, strict_test.loopback) == (True, False)


def test_outbound_allow_is_checked_at_start_up() -> None:
    assert load_config({"outbound_allow": ""}, environ={})["outbound_allow"] == ""
    assert (
        load_config({"outbound_allow": " LMS.example , 10.0.0.0/8"}, environ={})["outbound_allow"]
        == "lms.example,10.0.0.0/8"
    )
    with pytest.raises(ConfigError, match="outbound_allow.*'http://lms.example'"):
        load_config({"outbound_allow": "http://lms.example"}, environ={})
