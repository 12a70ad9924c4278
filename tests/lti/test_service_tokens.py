"""Access tokens for platform services as the platform sees the requests: form-encoded, with a
client assertion it verifies against the tool's key set fetched over HTTP, and reused until
the token expires."""

from __future__ import annotations

import time
import typing as t
from collections.abc import Iterator

import jwt
import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from lti_tool.lti.products.grading import SCORE_SCOPE
from lti_tool.lti.protocol import tokens
from lti_tool.models import Registration
from lti_tool.models import db
from tests.lti.advantage import AdvantageTool
from tests.lti.advantage import advantage_tool


@pytest.fixture
def lms(app: Flask, served: t.Any) -> Iterator[AdvantageTool]:
    with advantage_tool(app, served) as tool:
        yield tool


def registration() -> Registration:
    return db.session.scalars(sa.select(Registration)).one()


def test_token_request_is_form_encoded_with_a_valid_client_assertion(lms: AdvantageTool) -> None:
    token = tokens.access_token(registration(), [SCORE_SCOPE])
    assert token in lms.platform.issued_tokens  # lti1p3platform verified the assertion
    (seen,) = lms.platform.requests_to("/token", "POST")
    assert seen.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = seen.form
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == tokens.CLIENT_ASSERTION_TYPE
    assert form["scope"] == SCORE_SCOPE
    # Verified as the platform would: with the tool's published keys, fetched over HTTP.
    published = requests.get(f"{lms.url}/.well-known/jwks.json", timeout=5).json()
    kid = jwt.get_unverified_header(form["client_assertion"])["kid"]
    (key,) = [k for k in published["keys"] if k["kid"] == kid]
    claims = jwt.decode(
        form["client_assertion"],
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience=lms.platform.token_url,
        options={"require": ["iss", "sub", "aud", "iat", "exp", "jti"]},
    )
    assert claims["iss"] == claims["sub"] == lms.platform.client_id
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert abs(claims["iat"] - time.time()) < 30


def test_each_client_assertion_has_its_own_jti(lms: AdvantageTool) -> None:
    tokens.access_token(registration(), [SCORE_SCOPE])
    tokens.access_token(registration(), [SCORE_SCOPE], fresh=True)
    jtis = [claims["jti"] for claims in lms.platform.assertions]
    assert len(jtis) == 2 and len(set(jtis)) == 2


def test_a_token_is_reused_until_it_expires(lms: AdvantageTool) -> None:
    # The tool stops using a token a minute before the platform says it expires.
    lms.platform.token_lifetime = tokens.EXPIRY_MARGIN_SECONDS + 1
    first = tokens.access_token(registration(), [SCORE_SCOPE])
    assert tokens.access_token(registration(), [SCORE_SCOPE]) == first
    assert len(lms.platform.requests_to("/token")) == 1
    time.sleep(1.2)
    second = tokens.access_token(registration(), [SCORE_SCOPE])
    assert second != first
    assert len(lms.platform.requests_to("/token")) == 2


def test_a_long_lived_token_serves_many_calls(lms: AdvantageTool) -> None:
    for _ in range(5):
        tokens.access_token(registration(), [SCORE_SCOPE])
    assert len(lms.platform.requests_to("/token")) == 1
