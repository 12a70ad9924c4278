"""Sessions end for good: after a password change or reset and after "sign out everywhere",
a cookie signed before stops working in every browser that holds it, copies included."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.cli import cli
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.plugins import pm
from lti_tool.testing import app_in_context
from tests.standalone.conftest import Clock
from tests.standalone.journey import PASSWORD
from tests.standalone.journey import MailServer
from tests.standalone.journey import csrf_token
from tests.standalone.journey import link_in
from tests.standalone.journey import log_in
from tests.standalone.journey import log_out
from tests.standalone.journey import path_of
from tests.standalone.journey import sign_up_and_verify

EMAIL = "sam@example.org"
NEW_PASSWORD = "a different passphrase"


def epoch_of(email: str) -> int:
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None
    return user.session_epoch


def signed_in(client: FlaskClient) -> bool:
    status = client.get("/dashboard").status_code
    assert status in {200, 401}
    return status == 200


def second_browser(app: Flask, email: str = EMAIL, password: str = PASSWORD) -> FlaskClient:
    other = app.test_client()
    assert log_in(other, email, password).status_code == 302
    assert signed_in(other)
    return other


def replay(app: Flask, cookie: str) -> FlaskClient:
    """A browser that holds nothing but a copy of a session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_password_reset_ends_every_session(
    app: Flask, client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up_and_verify(client, mail, EMAIL)
    laptop = second_browser(app)
    copied = session_cookie(laptop)
    before = epoch_of(EMAIL)

    token = csrf_token(client, "/password/forgot")
    client.post("/password/forgot", data={"csrf_token": token, "email": EMAIL})
    link = path_of(link_in(mail.last_to(EMAIL, "new password")))
    done = client.post(
        link,
        data={
            "csrf_token": csrf_token(client, link),
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert done.status_code == 302

    assert epoch_of(EMAIL) == before + 1
    assert not signed_in(laptop)
    assert not signed_in(client)
    assert not signed_in(replay(app, copied))
    assert log_in(laptop, EMAIL, NEW_PASSWORD).status_code == 302
    assert signed_in(laptop)


def test_a_password_change_ends_the_other_sessions_only(
    app: Flask, client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up_and_verify(client, mail, EMAIL)
    phone = second_browser(app)
    copied = session_cookie(phone)

    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "current": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert changed.headers["Location"] == "/account"

    assert signed_in(client)
    assert not signed_in(phone)
    assert not signed_in(replay(app, copied))
    assert log_in(phone, EMAIL, PASSWORD).status_code == 200
    assert log_in(phone, EMAIL, NEW_PASSWORD).status_code == 302
    assert signed_in(phone)


def test_a_refused_password_change_changes_nothing(
    app: Flask, client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up_and_verify(client, mail, EMAIL)
    phone = second_browser(app)
    before = epoch_of(EMAIL)
    attempts = {
        "wrong current password": {"current": "not my password", "confirm": NEW_PASSWORD},
        "new passwords differ": {"current": PASSWORD, "confirm": "something else entirely"},
    }
    for reason, fields in attempts.items():
        refused = client.post(
            "/account/password",
            data={
                "csrf_token": csrf_token(client, "/account"),
                "password": NEW_PASSWORD,
                **fields,
            },
        )
        assert refused.status_code == 400, reason
        assert 'role="alert"' in refused.get_data(as_text=True), reason
    assert epoch_of(EMAIL) == before
    assert signed_in(phone) and signed_in(client)
    log_out(phone)
    assert log_in(phone, EMAIL, PASSWORD).status_code == 302


def test_sign_out_everywhere_ends_every_session_and_its_copies(
    app: Flask, client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up_and_verify(client, mail, EMAIL)
    tablet = second_browser(app)
    copied = session_cookie(client)
    assert signed_in(replay(app, copied))

    ended = client.post(
        "/account/sign-out-everywhere", data={"csrf_token": csrf_token(client, "/account")}
    )
    assert ended.status_code == 302

    assert not signed_in(client)
    assert not signed_in(tablet)
    thief = replay(app, copied)
    assert not signed_in(thief)
    # Acting with the copy fails as well, not only reading.
    acted = thief.post(
        "/account/sign-out-everywhere", data={"csrf_token": csrf_token(client, "/login")}
    )
    assert acted.status_code in {400, 401}
    assert log_in(client, EMAIL).status_code == 302
    assert signed_in(client)


def test_sign_out_everywhere_needs_the_form_token(
    app: Flask, client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up_and_verify(client, mail, EMAIL)
    before = epoch_of(EMAIL)
    forged = client.post("/account/sign-out-everywhere", data={})
    assert forged.status_code == 400
    assert epoch_of(EMAIL) == before
    assert signed_in(client)


def test_signing_out_ends_the_other_browsers_sessions_too(
    app: Flask, client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    # A session cookie cannot be ended alone (it carries everything itself), so sign-out
    # ends them all: a copy left behind on a shared computer must not keep working.
    sign_up_and_verify(client, mail, EMAIL)
    desktop = second_browser(app)
    log_out(client)
    assert not signed_in(client)
    assert not signed_in(desktop)


def test_the_operator_setting_a_password_ends_every_session(
    app: Flask, client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up_and_verify(client, mail, EMAIL)
    pm.hook.register_commands(cli=cli)
    result = app.test_cli_runner().invoke(
        cli, ["users", "set-password", EMAIL], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert not signed_in(client)


def test_a_session_lasts_as_configured(database_url: str, mail: MailServer) -> None:
    with app_in_context(database_url, **mail.settings()) as app:
        assert app.permanent_session_lifetime == dt.timedelta(days=14)
    with app_in_context(database_url, session_lifetime_hours=2, **mail.settings()) as app:
        assert app.permanent_session_lifetime == dt.timedelta(hours=2)
        client = app.test_client()
        sign_up_and_verify(client, mail, EMAIL)
        cookie = client.get_cookie("session")
        assert cookie is not None and cookie.expires is not None
        lifetime = cookie.expires - dt.datetime.now(dt.UTC)
        assert dt.timedelta(hours=1) < lifetime <= dt.timedelta(hours=2)


def test_a_cookie_copied_before_sign_out_is_refused_after_it(
    app: Flask, client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up_and_verify(client, mail, EMAIL)
    copied = session_cookie(client)
    assert signed_in(replay(app, copied))

    log_out(client)

    assert not signed_in(client)
    assert not signed_in(replay(app, copied))
    assert log_in(client, EMAIL).status_code == 302
    assert signed_in(client)
