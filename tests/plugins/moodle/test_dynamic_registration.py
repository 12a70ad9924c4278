"""Dynamic registration with a Moodle site: Moodle's configuration as it publishes it, through
the tool's ``/lti/dynamic-registration``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.lti.platforms.dynamic_registration import create_invite
from lti_tool.models import Registration
from lti_tool.models import db

from .moodle_site import REGISTERED_CLIENT_ID
from .moodle_site import REGISTERED_DEPLOYMENT_ID
from .moodle_site import REGISTRATION_TOKEN
from .moodle_site import TOOL_CONFIGURATION
from .moodle_site import MoodleSite
from .moodle_site import serve_site

TOOL = "https://tool.example"


@pytest.fixture
def moodle_site() -> Iterator[MoodleSite]:
    with serve_site(tokens=[]) as running:
        yield running


def test_moodle_registers_the_tool_with_its_activity_picker(
    app: Flask, moodle_site: MoodleSite
) -> None:
    app.config["BASE_URL"] = TOOL
    page = app.test_client().get(
        "/lti/dynamic-registration",
        query_string={
            "openid_configuration": f"{moodle_site.url}/mod/lti/openid-configuration.php",
            "registration_token": REGISTRATION_TOKEN,
            "invite": create_invite()[1],
        },
    )

    assert page.status_code == 200, page.get_data(as_text=True)
    registration = db.session.scalars(sa.select(Registration)).one()
    assert (registration.lms, registration.issuer) == ("moodle", moodle_site.url)
    assert registration.client_id == REGISTERED_CLIENT_ID
    assert registration.auth_login_url == f"{moodle_site.url}/mod/lti/auth.php"
    assert registration.key_set_url == f"{moodle_site.url}/mod/lti/certs.php"
    assert [d.deployment_id for d in registration.deployments] == [REGISTERED_DEPLOYMENT_ID]
    sent = moodle_site.received[-1].body
    configuration = sent[TOOL_CONFIGURATION]
    # Moodle switches its activity picker on only for a deep linking message, and reads the
    # tool's description from here.
    picker = [m for m in configuration["messages"] if m["type"] == "LtiDeepLinkingRequest"]
    assert picker and picker[0]["target_link_uri"] == f"{TOOL}/lti/launch"
    assert configuration["description"]
    assert {"name", "email"} <= set(configuration["claims"])
