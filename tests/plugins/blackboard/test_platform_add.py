"""``lti-tool platform add --lms blackboard``: the developer portal's endpoints, the key set
named by the application id."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from lti_tool_blackboard import BlackboardProduct

import lti_tool.cli
from lti_tool.models import Registration
from lti_tool.models import db

from .conftest import APPLICATION_ID
from .conftest import ISSUER
from .conftest import NORTH

PORTAL = "https://developer.blackboard.com/api/v1"
LOGIN = f"{PORTAL}/gateway/oidcauth"
TOKEN = f"{PORTAL}/gateway/oauth2/jwttoken"
KEY_SET = f"{PORTAL}/management/applications/{APPLICATION_ID}/jwks.json"


def add(app: Flask, *extra: str) -> Result:
    return app.test_cli_runner().invoke(
        lti_tool.cli.cli,
        [
            *("platform", "add", "--lms", "blackboard", "--issuer", ISSUER),
            *("--client-id", APPLICATION_ID, "--deployment-id", NORTH, *extra),
        ],
    )


def stored() -> Registration:
    db.session.rollback()
    return db.session.scalars(sa.select(Registration)).one()


def test_portal_endpoints_are_filled(app: Flask) -> None:
    result = add(app, "--key-set-url", KEY_SET)
    assert result.exit_code == 0, result.output
    registration = stored()
    assert (registration.lms, registration.issuer) == ("blackboard", ISSUER)
    assert (registration.auth_login_url, registration.auth_token_url) == (LOGIN, TOKEN)
    assert registration.key_set_url == KEY_SET


def test_the_key_set_url_is_derived_from_the_application_id(app: Flask) -> None:
    result = add(app)
    assert result.exit_code == 0, result.output
    assert stored().key_set_url == KEY_SET


@pytest.mark.parametrize("client_id", [None, "", APPLICATION_ID])
@pytest.mark.parametrize("issuer", [ISSUER, ISSUER + "/"])
def test_the_product_fills_what_it_can(issuer: str, client_id: str | None) -> None:
    endpoints = BlackboardProduct.endpoints_for(issuer, client_id=client_id)
    expected = {"auth_login_url": LOGIN, "auth_token_url": TOKEN}
    if client_id:
        expected["key_set_url"] = KEY_SET
    assert endpoints == expected
