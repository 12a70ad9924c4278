"""The platform's key set as the tool fetches it, and the tool's access tokens for platform
services, both against the lti1p3platform platform over HTTP."""

from __future__ import annotations

import datetime as dt
import html

import jwt
import pytest
import sqlalchemy as sa

from lti_tool.lti.protocol import keys
from lti_tool.lti.protocol import tokens
from lti_tool.lti.protocol.platform_keys import key_cache
from lti_tool.models import Registration
from lti_tool.models import db
from tests.lti.conftest import Tool

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
ROSTER = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def registration() -> Registration:
    return db.session.scalars(sa.select(Registration)).one()


def test_key_set_is_fetched_once_and_cached(tool: Tool) -> None:
    assert tool.launch().status_code == 302
    assert tool.launch(sub="user-2").status_code == 302
    assert tool.platform.jwks_requests == 1


def test_a_new_platform_key_is_fetched_once(tool: Tool) -> None:
    assert tool.launch().status_code == 302
    tool.platform.rotate_key()
    key_cache().min_refetch_seconds = 0
    assert tool.launch(sub="user-2").status_code == 302
    assert tool.platform.jwks_requests == 2


def test_unknown_key_ids_do_not_make_the_tool_refetch_at_will(tool: Tool) -> None:
    assert tool.launch().status_code == 302
    tool.platform.rotate_key()
    refused = tool.launch(sub="user-2")
    assert refused.status_code == 400
    assert "no key with kid" in refused.text
    assert tool.platform.jwks_requests == 1


def test_an_unreachable_key_set_refuses_the_launch(tool: Tool) -> None:
    registration().key_set_url = "http://127.0.0.1:9/jwks.json"
    db.session.commit()
    refused = tool.launch()
    assert refused.status_code == 400
    assert "could not fetch the platform's key set" in html.unescape(refused.text).lower()
    assert tool.counts()["users"] == 0


def test_access_token_by_client_credentials_is_cached_per_scope_set(tool: Tool) -> None:
    tokens.forget_tokens()
    first = tokens.access_token(registration(), [SCORE])
    assert first in tool.platform.issued_tokens
    assert tokens.access_token(registration(), [SCORE]) == first
    assert tool.platform.token_requests == 1
    other = tokens.access_token(registration(), [SCORE, ROSTER])
    assert other != first
    assert tool.platform.token_requests == 2


def test_client_assertion_after_rotation_uses_the_new_key(tool: Tool) -> None:
    tokens.forget_tokens()
    tokens.access_token(registration(), [SCORE])
    new = keys.rotate(dt.timedelta(hours=1))
    assertion = tokens.client_assertion(registration())
    assert jwt.get_unverified_header(assertion)["kid"] == new.kid
    tokens.forget_tokens()
    # The platform fetches the tool's key set again and finds the new key there.
    assert tokens.access_token(registration(), [SCORE]) in tool.platform.issued_tokens


def test_service_request_retries_once_with_a_fresh_token(tool: Tool) -> None:
    tokens.forget_tokens()
    tokens.access_token(registration(), [ROSTER])
    tool.platform.issued_tokens.clear()  # the platform forgot the token it gave
    response = tokens.service_request(
        registration(), [ROSTER], "GET", f"{tool.platform.base_url}/service"
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert tool.platform.token_requests == 2


def test_a_refused_token_request_raises(tool: Tool) -> None:
    tokens.forget_tokens()
    registration().auth_token_url = f"{tool.platform.base_url}/no-token-here"
    db.session.commit()
    with pytest.raises(tokens.PlatformServiceError) as raised:
        tokens.access_token(registration(), [SCORE])
    assert raised.value.status == 404
