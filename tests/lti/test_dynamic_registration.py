"""LTI Dynamic Registration against a platform that serves the specification's OpenID
configuration and registration endpoints and checks what the tool posts."""

from __future__ import annotations

import datetime as dt
import html
import threading
import typing as t
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

import lti_tool.cli
from lti_tool.lti.platforms.dynamic_registration import create_invite
from lti_tool.lti.products.tool_config import SCOPES
from lti_tool.models import Deployment
from lti_tool.models import Registration
from lti_tool.models import RegistrationInvite
from lti_tool.models import db
from lti_tool.outbound import ALLOW_LOOPBACK_KEY
from tests.lti.advantage import AdvantageTool
from tests.lti.advantage import Seen
from tests.lti.advantage import advantage_tool
from tests.lti.services_platform import Reply

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
RETURN_SCRIPT = Path(__file__).parents[2] / "lti_tool" / "lti" / "static" / "lti_return.js"


@pytest.fixture
def lms(app: Flask, served: t.Any) -> Iterator[AdvantageTool]:
    with advantage_tool(app, served, registered=False, issuer_is_origin=True) as tool:
        yield tool


def invite(hours: int = 24) -> str:
    """A fresh invitation's token, made the way ``lti-tool platform invite`` makes it."""
    _invite, token = create_invite(hours)
    return token


def register(lms: AdvantageTool, **params: str) -> requests.Response:
    """The platform opening the tool's registration page, with a fresh invitation unless
    *params* name one."""
    query = {
        "openid_configuration": f"{lms.platform.base_url}/.well-known/openid-configuration",
        "registration_token": lms.platform.registration_token,
        **params,
    }
    if "invite" not in query:
        query["invite"] = invite()
    return lms.browser.get(f"{lms.url}/lti/dynamic-registration", params=query)


def invites() -> list[tuple[bool, int | None]]:
    """Each invitation: whether it is used, and the registration it was used for."""
    db.session.rollback()
    return [
        (i.used_at is not None, i.registration_id)
        for i in db.session.scalars(sa.select(RegistrationInvite).order_by(RegistrationInvite.id))
    ]


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
    assert invites() == [(True, registration.id)]

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
    assert invites() == [(False, None)]


# -- invitations ---------------------------------------------------------------------------


def _refused(page: requests.Response, reason: str, status: int = 403) -> None:
    assert page.status_code == status, page.text
    assert 'data-testid="registration-error"' in page.text
    assert "lti-registration-done" not in page.text
    assert reason in html.unescape(page.text)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "carries no invitation"),
        ("made-up-invitation", "is not known"),
    ],
)
def test_without_a_valid_invitation_nothing_is_fetched_or_stored(
    lms: AdvantageTool, token: str, reason: str
) -> None:
    _refused(register(lms, invite=token), reason)
    assert lms.platform.seen == []
    assert stored() == []


def test_an_invitation_works_once(lms: AdvantageTool) -> None:
    token = invite()
    assert register(lms, invite=token).status_code == 200
    seen = len(lms.platform.seen)
    lms.platform.deployment_id = "deployment-2"
    _refused(register(lms, invite=token), "has been used already")
    assert len(lms.platform.seen) == seen
    assert stored() == [(lms.platform.issuer, "dynamic-client-7", ["deployment-1"])]


def test_an_expired_invitation_is_refused(lms: AdvantageTool) -> None:
    made, token = create_invite(1)
    with db.session.begin():
        db.session.get(RegistrationInvite, made.id).expires_at = dt.datetime.now(
            dt.UTC
        ) - dt.timedelta(minutes=1)
    _refused(register(lms, invite=token), "expired on")
    assert lms.platform.seen == []
    assert stored() == []


def test_of_two_registrations_racing_with_one_invitation_one_wins(lms: AdvantageTool) -> None:
    # Both registrations are held at the platform's registration endpoint until both have
    # passed the invitation check, so they reach the database together.
    token = invite()
    arrived = threading.Barrier(2, timeout=20)
    answer = lms.platform.answer

    def held(seen: Seen) -> Reply:
        if seen.path == "/register":
            arrived.wait()
        return answer(seen)

    lms.platform.answer = held  # type: ignore[method-assign]
    pages: list[requests.Response] = []

    def open_page() -> None:
        with requests.Session() as browser:
            query = {
                "openid_configuration": f"{lms.platform.base_url}/.well-known/openid-configuration",
                "registration_token": lms.platform.registration_token,
                "invite": token,
            }
            pages.append(browser.get(f"{lms.url}/lti/dynamic-registration", params=query))

    threads = [threading.Thread(target=open_page) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(lms.platform.requests_to("/register", "POST")) == 2
    assert sorted(page.status_code for page in pages) == [200, 403]
    (lost,) = [page for page in pages if page.status_code == 403]
    assert "used or expired meanwhile" in html.unescape(lost.text)
    assert stored() == [(lms.platform.issuer, "dynamic-client-7", ["deployment-1"])]
    (registration_id,) = db.session.scalars(sa.select(Registration.id))
    assert invites() == [(True, registration_id)]


# -- where the tool connects to --------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "10.1.2.3", "192.168.0.7", "169.254.169.254", "[::1]", "100.64.0.9"],
)
def test_a_configuration_on_a_non_public_address_is_refused(
    app: Flask, lms: AdvantageTool, host: str
) -> None:
    app.config[ALLOW_LOOPBACK_KEY] = False
    port = urlsplit(lms.platform.base_url).port
    page = register(
        lms, openid_configuration=f"http://{host}:{port}/.well-known/openid-configuration"
    )
    _refused(page, "resolves to an address that is not allowed", status=400)
    assert lms.platform.seen == []
    assert stored() == []
    assert invites() == [(False, None)]


def _platform_at_localhost(lms: AdvantageTool) -> None:
    lms.platform.base_url = lms.platform.base_url.replace("127.0.0.1", "localhost")
    lms.platform.issuer = lms.platform.base_url


def test_outbound_allow_lets_a_named_host_through(app: Flask, lms: AdvantageTool) -> None:
    app.config[ALLOW_LOOPBACK_KEY] = False
    _platform_at_localhost(lms)
    _refused(register(lms), "localhost resolves to an address that is not allowed", status=400)
    assert lms.platform.seen == []

    app.config["OUTBOUND_ALLOW"] = "localhost"
    assert register(lms).status_code == 200
    assert stored() == [(lms.platform.issuer, "dynamic-client-7", ["deployment-1"])]


def test_a_registration_endpoint_on_a_refused_address_gets_no_post(
    app: Flask, lms: AdvantageTool
) -> None:
    app.config[ALLOW_LOOPBACK_KEY] = False
    app.config["OUTBOUND_ALLOW"] = "localhost"
    _platform_at_localhost(lms)
    port = urlsplit(lms.platform.base_url).port
    lms.platform.openid_overrides = {"registration_endpoint": f"http://127.0.0.1:{port}/register"}
    _refused(register(lms), "registration could not be sent", status=400)
    assert lms.platform.requests_to("/register") == []
    assert stored() == []


def test_the_platform_reply_to_a_refused_registration_is_not_shown(lms: AdvantageTool) -> None:
    answer = lms.platform.answer

    def failing(seen: Seen) -> Reply:
        if seen.path == "/register":
            return Reply(500, {"error": "redis at 10.0.0.5:6379 refused AUTH"})
        return answer(seen)

    lms.platform.answer = failing  # type: ignore[method-assign]
    page = register(lms)
    _refused(page, "refused the registration (HTTP status 500)", status=400)
    assert "6379" not in page.text and "AUTH" not in page.text
    assert stored() == []


def test_redirects_are_not_followed(lms: AdvantageTool) -> None:
    answer = lms.platform.answer

    def moved(seen: Seen) -> Reply:
        if seen.path == "/.well-known/openid-configuration":
            return Reply(302, {}, headers={"Location": f"{lms.platform.base_url}/elsewhere"})
        return answer(seen)

    lms.platform.answer = moved  # type: ignore[method-assign]
    _refused(register(lms), "answered 302 for its configuration and redirects", status=400)
    assert lms.platform.requests_to("/elsewhere") == []
    assert stored() == []


# -- lti-tool platform invite / invites ------------------------------------------------------


def cli(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(lti_tool.cli.cli, list(args))


def test_the_invite_command_prints_a_one_time_link(app: Flask, lms: AdvantageTool) -> None:
    result = cli(app, "platform", "invite", "--expires-in", "2", "--note", "Moodle")
    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert url.startswith(f"{lms.url}/lti/dynamic-registration?invite=")
    token = dict(parse_qsl(urlsplit(url).query))["invite"]
    db.session.rollback()
    made = db.session.scalars(sa.select(RegistrationInvite)).one()
    assert made.note == "Moodle"
    assert token not in made.token_digest
    assert dt.timedelta(hours=2) - (made.expires_at - made.created_at) < dt.timedelta(seconds=1)

    assert register(lms, invite=token).status_code == 200
    db.session.rollback()  # as a new process would, see what the live server wrote
    listing = cli(app, "platform", "invites")
    assert listing.exit_code == 0
    assert f"by {lms.platform.issuer} (client id dynamic-client-7)" in listing.output
    assert "Moodle" in listing.output and token not in listing.output


@pytest.mark.parametrize("hours", ["0", "169", "soon"])
def test_the_invite_command_refuses_a_bad_lifetime(app: Flask, hours: str) -> None:
    result = cli(app, "platform", "invite", "--expires-in", hours)
    assert result.exit_code == 2
    assert "--expires-in" in result.output
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RegistrationInvite)) == 0
