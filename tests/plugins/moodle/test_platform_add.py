"""``lti-tool platform add --lms moodle``: every endpoint follows from the site URL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

import lti_tool.cli
from lti_tool.models import Registration
from lti_tool.models import db

from .conftest import CLIENT_ID
from .conftest import DEPLOYMENT_ID


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("site", ["https://moodle.school.edu", "https://school.edu/moodle"])
def test_endpoints_hang_off_the_site(app: Flask, site: str, slash: str) -> None:
    result = app.test_cli_runner().invoke(
        lti_tool.cli.cli,
        [
            *("platform", "add", "--lms", "moodle", "--issuer", site + slash),
            *("--client-id", CLIENT_ID, "--deployment-id", DEPLOYMENT_ID),
        ],
    )

    assert result.exit_code == 0, result.output
    registration = db.session.scalars(sa.select(Registration)).one()
    # The issuer is kept exactly as given: Moodle's id_tokens are matched on it.
    assert (registration.lms, registration.issuer) == ("moodle", site + slash)
    assert registration.auth_login_url == f"{site}/mod/lti/auth.php"
    assert registration.auth_token_url == f"{site}/mod/lti/token.php"
    assert registration.key_set_url == f"{site}/mod/lti/certs.php"
