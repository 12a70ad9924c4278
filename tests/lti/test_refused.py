"""Launches the tool must refuse (1EdTech certification 6.1.1 known-bad cases and more).

Every refusal is a 4xx HTML page that can show in an iframe and says what was wrong, and none
of them writes a row: the module shares one database, so any leak would show in the counts.
"""

from __future__ import annotations

import html
import time
import typing as t
from collections.abc import Callable

import jwt
import pytest
import requests

from lti_tool.lti.protocol import claims as c
from tests.lti.conftest import Tool
from tests.lti.platform import key_pair

NOTHING = {"users": 0, "identities": 0, "courses": 0, "enrollments": 0, "nonces": 0}
Message = dict[str, t.Any]
Case = Callable[[Tool, Message], str]


def signed(change: Callable[[Message], None], **sign: t.Any) -> Case:
    def make(tool: Tool, message: Message) -> str:
        change(message)
        return tool.platform.sign(message, **sign)

    return make


def without(claim: str) -> Case:
    return signed(lambda message: message.pop(claim))


def setting(claim: str, value: t.Any) -> Case:
    return signed(lambda message: message.__setitem__(claim, value))


def _expired(message: Message) -> None:
    message.update(iat=int(time.time()) - 3700, exp=int(time.time()) - 3600)


def _from_the_future(message: Message) -> None:
    message.update(iat=int(time.time()) + 3600, exp=int(time.time()) + 7200)


def _alg_none(tool: Tool, message: Message) -> str:
    message.update(iat=int(time.time()), exp=int(time.time()) + 300)
    return jwt.encode(message, None, algorithm="none", headers={"kid": tool.platform.kid})


def _hmac(tool: Tool, message: Message) -> str:
    message.update(iat=int(time.time()), exp=int(time.time()) + 300)
    return jwt.encode(message, "s" * 32, algorithm="HS256", headers={"kid": tool.platform.kid})


def _other_key(tool: Tool, message: Message) -> str:
    message.update(iat=int(time.time()), exp=int(time.time()) + 300)
    private, _public = key_pair()
    return jwt.encode(message, private, algorithm="RS256", headers={"kid": tool.platform.kid})


def _only_oidc_claims(tool: Tool, message: Message) -> str:
    kept = {key: message[key] for key in ("iss", "aud", "sub", "nonce")}
    return tool.platform.sign(kept)


def _several_audiences(message: Message) -> None:
    message["aud"] = [message["aud"], "another-client"]
    message.pop("azp")


def _no_link_id(message: Message) -> None:
    message[c.RESOURCE_LINK] = {"title": "A link without an id"}


def _deep_linking_without_settings(message: Message) -> None:
    message[c.MESSAGE_TYPE] = "LtiDeepLinkingRequest"


CASES: dict[str, tuple[Case, str]] = {
    # 1EdTech certification guide 6.1.1
    "no kid": (signed(lambda m: None, headers={}), "no kid"),
    "wrong kid": (signed(lambda m: None, headers={"kid": "not-a-key-id"}), "no key with kid"),
    "wrong LTI version": (setting(c.VERSION, "1.2.0"), "LTI version '1.2.0' is not supported"),
    "no LTI version": (without(c.VERSION), "no LTI version claim"),
    "not a JWT": (lambda tool, message: "this-is-not-a-jwt", "not a JWT"),
    "not a JWT, three parts": (lambda tool, message: "aGVsbG8.d29ybGQ.c2ln", "not a JWT"),
    "missing LTI claims": (_only_oidc_claims, "no LTI version claim"),
    "exp in the past": (signed(_expired), "expired"),
    "iat far in the future": (signed(_from_the_future), "issued in the future"),
    "message type missing": (without(c.MESSAGE_TYPE), "no message type claim"),
    "roles claim missing": (without(c.ROLES), "no roles claim"),
    "deployment id missing": (without(c.DEPLOYMENT_ID), "no deployment_id claim"),
    "resource link id missing": (signed(_no_link_id), "no resource link id"),
    "sub missing": (without("sub"), "no sub claim"),
    # beyond the guide
    "alg none": (_alg_none, "signed with 'none'"),
    "HS256": (_hmac, "signed with 'HS256'"),
    "signed with another key": (_other_key, "signature does not verify"),
    "no exp": (signed(lambda m: m.update(iat=int(time.time())), timestamps=False), "no exp claim"),
    "no nonce": (without("nonce"), "no nonce claim"),
    "nonce of another login": (setting("nonce", "someone-elses-nonce"), "nonce is not the one"),
    "non-ASCII nonce": (setting("nonce", "nonce-\u00e9\u4e2d"), "nonce is not the one"),
    "unknown issuer": (setting("iss", "https://evil.example"), "is not a registered platform"),
    "wrong audience": (
        signed(lambda m: m.update(aud="another-client", azp="another-client")),
        "audience does not include",
    ),
    "several audiences, no azp": (signed(_several_audiences), "several audiences but no azp"),
    "azp of another client": (setting("azp", "another-client"), "azp 'another-client'"),
    "deployment other than the login's": (
        setting(c.DEPLOYMENT_ID, "not-registered"),
        "differs from the one the login named",
    ),
    "unknown message type": (
        setting(c.MESSAGE_TYPE, "LtiSubmissionReviewRequest"),
        "not one this tool accepts",
    ),
    "deep linking without settings": (
        signed(_deep_linking_without_settings),
        "no deep_link_return_url",
    ),
    "roles not a list": (setting(c.ROLES, "Learner"), "roles claim is not a list"),
}


def assert_refused(tool: Tool, response: requests.Response, reason: str) -> None:
    assert response.status_code == 400, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/html")
    assert "x-frame-options" not in {name.lower() for name in response.headers}
    assert reason.lower() in html.unescape(response.text).lower()
    assert tool.counts() == NOTHING


@pytest.mark.parametrize("case", list(CASES))
def test_bad_id_token_is_refused(shared_tool: Tool, case: str) -> None:
    make, reason = CASES[case]
    shared_tool.browser.cookies.clear()
    auth = shared_tool.start()
    token = make(shared_tool, shared_tool.platform.message(auth))
    assert_refused(shared_tool, shared_tool.post(token, auth["state"]), reason)


def test_unknown_deployment_is_refused(shared_tool: Tool) -> None:
    # A login that names no deployment leaves the check to the id_token's claim.
    shared_tool.browser.cookies.clear()
    auth = shared_tool.start(deployment_id="")
    message = shared_tool.platform.message(auth)
    message[c.DEPLOYMENT_ID] = "not-registered"
    response = shared_tool.post(shared_tool.platform.sign(message), auth["state"])
    assert_refused(shared_tool, response, "deployment 'not-registered' is not registered for")


def test_state_from_another_browser_is_refused(shared_tool: Tool) -> None:
    auth = shared_tool.start()
    token = shared_tool.platform.sign(shared_tool.platform.message(auth))
    with requests.Session() as stranger:
        response = shared_tool.post(token, auth["state"], browser=stranger)
    assert_refused(shared_tool, response, "does not belong to this browser")


def test_state_of_another_login_in_the_same_browser_is_refused(shared_tool: Tool) -> None:
    first = shared_tool.start()
    second = shared_tool.start()
    token = shared_tool.platform.sign(shared_tool.platform.message(first))
    response = shared_tool.post(token, second["state"])
    assert_refused(shared_tool, response, "nonce is not the one")


@pytest.mark.parametrize(
    ("state", "reason"),
    [("", "has no state"), ("forged.state.value", "not one this tool issued")],
)
def test_forged_or_missing_state_is_refused(shared_tool: Tool, state: str, reason: str) -> None:
    auth = shared_tool.start()
    token = shared_tool.platform.sign(shared_tool.platform.message(auth))
    assert_refused(shared_tool, shared_tool.post(token, state), reason)


def test_platform_error_response_is_shown(shared_tool: Tool) -> None:
    response = shared_tool.browser.post(
        f"{shared_tool.url}/lti/launch",
        data={"error": "login_required", "error_description": "No session at the LMS"},
    )
    assert_refused(shared_tool, response, "login_required No session at the LMS")


LOGIN_CASES: dict[str, tuple[dict[str, str], str]] = {
    "unknown issuer": ({"iss": "https://unknown.example"}, "is registered with this tool"),
    "unknown issuer, no client id": (
        {"iss": "https://unknown.example", "client_id": ""},
        "is not registered with this tool",
    ),
    "unknown client id": ({"client_id": "nobody"}, "with client id 'nobody'"),
    "unknown deployment": ({"lti_deployment_id": "nowhere"}, "deployment 'nowhere'"),
    "target elsewhere": (
        {"target_link_uri": "https://elsewhere.example/x"},
        "is not an address of this tool",
    ),
    "no login hint": ({"login_hint": ""}, "has no login_hint"),
}


@pytest.mark.parametrize("case", list(LOGIN_CASES))
def test_bad_login_initiation_is_refused(shared_tool: Tool, case: str) -> None:
    changed, reason = LOGIN_CASES[case]
    params = {
        "iss": shared_tool.platform.issuer,
        "login_hint": "user-1",
        "target_link_uri": f"{shared_tool.url}/lti/launch",
        "client_id": shared_tool.platform.client_id,
        **changed,
    }
    for method in ("get", "post"):
        key = "params" if method == "get" else "data"
        response = getattr(shared_tool.browser, method)(
            f"{shared_tool.url}/lti/login", allow_redirects=False, **{key: params}
        )
        assert_refused(shared_tool, response, reason)
