"""``lti-tool platform add --lms canvas`` fills each Canvas environment's endpoints."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

import lti_tool.cli
from lti_tool.models import Registration
from lti_tool.models import db

from .conftest import BETA
from .conftest import CLIENT_ID
from .conftest import DEPLOYMENT_ID
from .conftest import PRODUCTION
from .conftest import TEST

SELF_HOSTED = "https://canvas.school.edu"
#: Where each issuer's authorization, token and key set endpoints live.
ENDPOINT_ORIGINS = {
    PRODUCTION: "https://sso.canvaslms.com",
    BETA: "https://sso.beta.canvaslms.com",
    TEST: "https://sso.test.canvaslms.com",
    SELF_HOSTED: SELF_HOSTED,
}
OWN_KEYS = "https://keys.school.edu/jwks"


def add(app: Flask, issuer: str, *extra: str) -> Result:
    return app.test_cli_runner().invoke(
        lti_tool.cli.cli,
        [
            *("platform", "add", "--lms", "canvas", "--issuer", issuer),
            *("--client-id", CLIENT_ID, "--deployment-id", DEPLOYMENT_ID, *extra),
        ],
    )


@pytest.mark.parametrize("key_set_url", [None, OWN_KEYS])
@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("issuer", list(ENDPOINT_ORIGINS))
def test_endpoints_follow_the_environment(
    app: Flask, issuer: str, slash: str, key_set_url: str | None
) -> None:
    result = add(app, issuer + slash, *(("--key-set-url", key_set_url) if key_set_url else ()))
    assert result.exit_code == 0, result.output
    registration = db.session.scalars(sa.select(Registration)).one()
    origin = ENDPOINT_ORIGINS[issuer]
    assert (registration.lms, registration.issuer) == ("canvas", issuer + slash)
    assert registration.auth_login_url == f"{origin}/api/lti/authorize_redirect"
    assert registration.auth_token_url == f"{origin}/login/oauth2/token"
    # An endpoint given on the command line wins over the derived one.
    assert registration.key_set_url == (key_set_url or f"{origin}/api/lti/security/jwks")
    assert [d.deployment_id for d in registration.deployments] == [DEPLOYMENT_ID]
    assert f"key set   {registration.key_set_url}" in result.output
