"""LTI Dynamic Registration against a platform that serves the specification's OpenID
configuration and registration endpoints and checks what the tool posts."""

from __future__ import annotations

import html
import typing as t
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from lti_tool.lti.tool_config import SCOPES
from lti_tool.models import Deployment
from lti_tool.models import Registration
from lti_tool.models import db
from tests.lti.advantage import AdvantageTool
from tests.lti.advantage import advantage_tool

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
RETURN_SCRIPT = Path(__file__).parents[2] / "lti_tool" / "lti" / "static" / "lti_return.js"


@pytest.fixture
def lms(app: Flask, served: t.Any) -> Iterator[AdvantageTool]:
    with advantage_tool(app, served, registered=False, issuer_is_origin=True) as tool:
        yield tool


def register(lms: AdvantageTool, **params: str) -> requests.Response:
    query = {
        "openid_configuration": f"{lms.platform.base_url}/.well-known/openid-configuration",
        "registration_token": lms.platform.registration_token,
        **params,
    }
    return lms.browser.get(f"{lms.url}/lti/dynamic-registration", params=query)


def stored() -> list[tuple[str, str, list[str]]]:
    db.session.rollback()
    return [
        (r.issuer, r.client_id, sorted(d.deployment_id for d in r.deployments))
        for r in db.session.scalars(sa.select(Registration))
    ]


def test_registration_completes_and_the_platform_can_launch(lms: AdvantageTool) -> None:
    page = register(lms)
    assert page.status_code == 200, page.text
    assert 'id="lti-registration-done"' in page.text and "lti_return.js" in page.text
    script = RETURN_SCRIPT.read_text()
    assert "window.opener || window.parent" in script and "org.imsglobal.lti.close" in script

    (fetched,) = lms.platform.requests_to("/.well-known/openid-configuration", "GET")
    assert fetched.headers["Authorization"] == f"Bearer {lms.platform.registration_token}"
    (posted,) = lms.platform.requests_to("/register", "POST")
    assert posted.headers["Authorization"] == f"Bearer {lms.platform.registration_token}"
    body = posted.json
    assert body["application_type"] == "web"
    assert body["response_types"] == ["id_token"]
    assert body["grant_types"] == ["implicit", "client_credentials"]
    assert body["initiate_login_uri"] == f"{lms.url}/lti/login"
    assert body["redirect_uris"] == [f"{lms.url}/lti/launch"]
    assert body["jwks_uri"] == f"{lms.url}/.well-known/jwks.json"
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert set(body["scope"].split()) == set(SCOPES)
    configuration = body[TOOL_CONFIGURATION]
    assert configuration["domain"] == lms.url.split("://")[1]
    assert configuration["target_link_uri"] == f"{lms.url}/lti/launch"
    assert {"iss", "sub"} <= set(configuration["claims"])
    assert {m["type"] for m in configuration["messages"]} == {
        "LtiResourceLinkRequest",
        "LtiDeepLinkingRequest",
    }

    assert stored() == [(lms.platform.issuer, "dynamic-client-7", ["deployment-1"])]
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.auth_login_url == lms.platform.auth_url
    assert registration.auth_token_url == lms.platform.token_url
    assert registration.key_set_url == lms.platform.jwks_url
    assert registration.lms == "generic"

    # The stored registration is complete: the platform's launches now get through.
    lms.platform.client_id = "dynamic-client-7"
    assert lms.launch(custom={"subject": "algebra"}).headers["Location"] == "/subjects/algebra"


def test_registering_again_adds_the_new_deployment_only(lms: AdvantageTool) -> None:
    assert register(lms).status_code == 200
    lms.platform.deployment_id = "deployment-2"
    assert register(lms).status_code == 200
    assert stored() == [(lms.platform.issuer, "dynamic-client-7", ["deployment-1", "deployment-2"])]


def test_a_registration_without_deployment_is_kept_and_explained(lms: AdvantageTool) -> None:
    lms.platform.deployment_id = ""
    page = register(lms)
    assert page.status_code == 200
    assert "lti-tool deployment add" in html.unescape(page.text)
    assert stored() == [(lms.platform.issuer, "dynamic-client-7", [])]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deployment)) == 0


def test_messages_the_platform_does_not_support_are_not_asked_for(lms: AdvantageTool) -> None:
    lms.platform.openid_overrides = {
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "test-lms",
            "messages_supported": [{"type": "LtiResourceLinkRequest"}],
        }
    }
    assert register(lms).status_code == 200
    (posted,) = lms.platform.requests_to("/register", "POST")
    messages = posted.json[TOOL_CONFIGURATION]["messages"]
    assert [m["type"] for m in messages] == ["LtiResourceLinkRequest"]


REFUSALS: dict[str, tuple[dict[str, t.Any], dict[str, str], str]] = {
    # name: (configuration overrides, query overrides, part of the reason shown)
    "issuer of another origin": (
        {"issuer": "https://lms.elsewhere.example"},
        {},
        "does not match the configuration's origin",
    ),
    "no registration endpoint": ({"registration_endpoint": None}, {}, "registration_endpoint"),
    "no RS256": (
        {"id_token_signing_alg_values_supported": ["HS256"]},
        {},
        "does not sign id_tokens with RS256",
    ),
    "wrong registration token": ({}, {"registration_token": "stolen"}, "refused the registration"),
    "no configuration URL": (
        {},
        {"openid_configuration": ""},
        "openid_configuration parameter is missing",
    ),
    "configuration not found": (
        {},
        {"openid_configuration": "{base}/no-such-configuration"},
        "answered 404",
    ),
    "not a URL": ({}, {"openid_configuration": "javascript:alert(1)"}, "must be an"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_registration_says_why_and_stores_nothing(lms: AdvantageTool, case: str) -> None:
    overrides, query, reason = REFUSALS[case]
    lms.platform.openid_overrides = overrides
    params = {k: v.format(base=lms.platform.base_url) for k, v in query.items()}
    page = register(lms, **params)
    assert page.status_code == 400
    assert 'data-testid="registration-error"' in page.text
    assert "lti-registration-done" not in page.text
    assert reason in html.unescape(page.text)
    assert stored() == []
