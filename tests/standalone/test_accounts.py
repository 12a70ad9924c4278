"""Sign-up, confirmation, login and password reset, with a real SMTP server."""

from __future__ import annotations

import re
import typing as t

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.models import User
from lti_tool.models import db
from lti_tool_standalone import passwords
from lti_tool_standalone.accounts import NO_MATCH
from tests.standalone.conftest import Clock
from tests.standalone.journey import PASSWORD
from tests.standalone.journey import MailServer
from tests.standalone.journey import csrf_token
from tests.standalone.journey import link_in
from tests.standalone.journey import log_in
from tests.standalone.journey import log_out
from tests.standalone.journey import path_of
from tests.standalone.journey import sign_up
from tests.standalone.journey import sign_up_and_verify
from tests.standalone.journey import text_of


def user(email: str) -> User:
    found = db.session.scalar(sa.select(User).where(User.email == email))
    assert found is not None
    return found


def test_sign_up_confirm_and_log_in(client: FlaskClient, mail: MailServer, clock: Clock) -> None:
    link = sign_up(client, mail, "Ada@Example.org", timezone="Asia/Kolkata")
    ada = user("ada@example.org")
    assert ada.timezone == "Asia/Kolkata"
    assert ada.password_hash and ada.password_hash.startswith("$argon2id$")
    assert PASSWORD not in ada.password_hash
    assert ada.email_verified_at is None

    refused = log_in(client, "ada@example.org")
    assert refused.status_code == 403
    assert "Confirm your e-mail address first" in refused.get_data(as_text=True)

    confirmed = client.get(link)
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"].startswith("/login")
    db.session.expire_all()
    assert user("ada@example.org").email_verified_at == clock.now

    response = log_in(client, "ada@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    with client.session_transaction() as session:
        assert session["user_id"] == ada.id
    assert client.get("/dashboard").status_code == 200


def test_a_confirmation_link_expires_and_must_be_genuine(
    client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    link = sign_up(client, mail, "late@example.org")
    clock.advance(days=3, seconds=1)
    assert client.get(link).status_code == 400
    assert client.get(link[:-2] + "xx").status_code == 400
    db.session.expire_all()
    assert user("late@example.org").email_verified_at is None


def test_signing_up_with_a_taken_address_looks_the_same(
    client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up(client, mail, "taken@example.org")
    data = {
        "name": "Someone Else",
        "email": "taken@example.org",
        "password": "another long password",
        "timezone": "UTC",
    }
    again = client.post("/signup", data=data | {"csrf_token": csrf_token(client, "/signup")})
    fresh = client.post(
        "/signup",
        data=data | {"email": "fresh@example.org", "csrf_token": csrf_token(client, "/signup")},
    )
    assert again.status_code == fresh.status_code == 200
    body = again.get_data(as_text=True).replace("taken@", "@")
    assert body == fresh.get_data(as_text=True).replace("fresh@", "@")
    assert "already has one" in text_of(mail.last_to("taken@example.org", "tried to sign up"))
    assert user("taken@example.org").name == "Ada Learner"


def failed_login(client: FlaskClient, email: str, password: str) -> tuple[int, str]:
    response = client.post(
        "/login", data={"csrf_token": csrf_token(client), "email": email, "password": password}
    )
    with client.session_transaction() as session:
        assert "user_id" not in session
    return response.status_code, response.get_data(as_text=True)


def test_wrong_password_and_unknown_user_look_the_same(
    app: Flask, client: FlaskClient, mail: MailServer, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_up_and_verify(client, mail, "known@example.org")
    log_out(client)
    hashed: list[str] = []
    real = passwords._hasher

    class Spy:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def verify(self, stored: str, password: str) -> bool:
            hashed.append(stored)
            return real.verify(stored, password)

    monkeypatch.setattr(passwords, "_hasher", Spy())
    wrong = failed_login(client, "known@example.org", "not the password")
    unknown = failed_login(client, "nobody@example.org", "not the password")
    assert wrong[0] == unknown[0] == 200
    assert NO_MATCH in wrong[1]
    assert wrong[1].replace("known@", "x@") == unknown[1].replace("nobody@", "x@")
    flashes = [
        re.findall(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>', body) for _, body in (wrong, unknown)
    ]
    assert flashes[0] == flashes[1] == [NO_MATCH]
    # Both hashed a password: the unknown address against a stand-in hash of equal cost.
    assert len(hashed) == 2
    assert hashed[0] == user("known@example.org").password_hash
    assert hashed[1] == passwords._dummy_hash()


@pytest.mark.real_password_cost
def test_wrong_password_and_unknown_user_cost_the_same_work(
    client: FlaskClient, mail: MailServer, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Timing the two would measure the machine's load; what makes them take the same time is
    # that both run one Argon2 verification with the same cost parameters, so that is checked.
    sign_up_and_verify(client, mail, "timed@example.org")
    log_out(client)
    verified: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> t.Literal[True]:
            verified.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())

    failed_login(client, "timed@example.org", "not the password")
    failed_login(client, "ghost@example.org", "not the password")

    known, unknown = verified
    assert known != unknown  # the real hash, then the stand-in
    # "$argon2id$v=19$m=65536,t=3,p=4$salt$hash": everything but salt and hash is the cost.
    assert known.rsplit("$", 2)[0] == unknown.rsplit("$", 2)[0]


def test_password_reset_link_works_once(
    client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up_and_verify(client, mail, "forgetful@example.org")
    log_out(client)
    token = csrf_token(client, "/password/forgot")
    asked = client.post(
        "/password/forgot", data={"csrf_token": token, "email": "forgetful@example.org"}
    )
    unknown = client.post(
        "/password/forgot", data={"csrf_token": token, "email": "none@example.org"}
    )
    assert asked.status_code == unknown.status_code == 200
    assert asked.get_data(as_text=True).replace("forgetful@", "@") == unknown.get_data(
        as_text=True
    ).replace("none@", "@")
    assert mail.to("none@example.org") == []
    link = path_of(link_in(mail.last_to("forgetful@example.org", "new password")))

    assert client.get(link).status_code == 200
    new = "a brand new passphrase"
    mismatch = client.post(
        link, data={"csrf_token": csrf_token(client, link), "password": new, "confirm": "other"}
    )
    assert mismatch.status_code == 400
    done = client.post(
        link, data={"csrf_token": csrf_token(client, link), "password": new, "confirm": new}
    )
    assert done.status_code == 302
    assert log_in(client, "forgetful@example.org", new).status_code == 302
    log_out(client)
    assert log_in(client, "forgetful@example.org", PASSWORD).status_code == 200

    # Used once: the link was bound to the old password's hash.
    assert client.get(link).status_code == 400
    again = client.post(
        link,
        data={
            "csrf_token": csrf_token(client, "/login"),
            "password": "x" * 12,
            "confirm": "x" * 12,
        },
    )
    assert again.status_code == 400
    assert log_in(client, "forgetful@example.org", new).status_code == 302


def test_password_reset_link_expires(client: FlaskClient, mail: MailServer, clock: Clock) -> None:
    sign_up_and_verify(client, mail, "slow@example.org")
    token = csrf_token(client, "/password/forgot")
    client.post("/password/forgot", data={"csrf_token": token, "email": "slow@example.org"})
    link = path_of(link_in(mail.last_to("slow@example.org", "new password")))
    clock.advance(minutes=59)
    assert client.get(link).status_code == 200
    clock.advance(minutes=2)
    expired = client.get(link)
    assert expired.status_code == 400
    assert "expired" in expired.get_data(as_text=True)


def test_a_reset_proves_the_address(client: FlaskClient, mail: MailServer, clock: Clock) -> None:
    sign_up(client, mail, "unconfirmed@example.org")
    token = csrf_token(client, "/password/forgot")
    client.post("/password/forgot", data={"csrf_token": token, "email": "unconfirmed@example.org"})
    link = path_of(link_in(mail.last_to("unconfirmed@example.org", "new password")))
    new = "chosen after a reset"
    client.post(
        link, data={"csrf_token": csrf_token(client, link), "password": new, "confirm": new}
    )
    assert log_in(client, "unconfirmed@example.org", new).status_code == 302


def test_sign_up_checks_its_fields(client: FlaskClient, mail: MailServer) -> None:
    response = client.post(
        "/signup",
        data={
            "csrf_token": csrf_token(client, "/signup"),
            "name": "",
            "email": "not-an-address",
            "password": "short",
            "timezone": "Mars/Olympus",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert page.count('aria-invalid="true"') == 4
    assert "at least 10 characters" in page
    assert mail.messages == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_next_only_leads_within_the_site(
    client: FlaskClient, mail: MailServer, clock: Clock
) -> None:
    sign_up(client, mail, "next@example.org")
    client.get(path_of(link_in(mail.last_to("next@example.org", "confirm"))))
    targets = {
        "/tutors/1?subject=algebra": "/tutors/1?subject=algebra",
        "//evil.example/x": "/dashboard",
        "/\t/evil.example/x": "/dashboard",
        "/\\evil.example/x": "/dashboard",
        "https://evil.example/x": "/dashboard",
    }
    for target, expected in targets.items():
        log_out(client)
        response = client.post(
            "/login",
            data={
                "csrf_token": csrf_token(client),
                "email": "next@example.org",
                "password": PASSWORD,
                "next": target,
            },
        )
        assert response.headers["Location"] == expected
