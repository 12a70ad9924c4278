"""Account e-mails are capped per recipient and per client, without the page telling."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.standalone.conftest import Clock
from tests.standalone.journey import CSRF_FIELD
from tests.standalone.journey import PASSWORD
from tests.standalone.journey import MailServer
from tests.standalone.journey import client_from
from tests.standalone.journey import csrf_token
from tests.standalone.journey import log_out
from tests.standalone.journey import sign_up_and_verify

VICTIM = "inbox@example.org"


def _without_token(page: str) -> str:
    return CSRF_FIELD.sub("", page)


def forgot(client: FlaskClient, email: str) -> str:
    response = client.post(
        "/password/forgot",
        data={"csrf_token": csrf_token(client, "/password/forgot"), "email": email},
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def sign_up_post(client: FlaskClient, email: str) -> str:
    response = client.post(
        "/signup",
        data={
            "csrf_token": csrf_token(client, "/signup"),
            "name": "Flood",
            "email": email,
            "password": PASSWORD,
            "timezone": "Europe/Paris",
        },
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_one_inbox_gets_at_most_the_hourly_limit(
    app: Flask, mail: MailServer, clock: Clock
) -> None:
    limit = app.config["MAIL_PER_ADDRESS_PER_HOUR"]
    assert limit == 3
    owner = client_from(app, "198.51.100.1")
    sign_up_and_verify(owner, mail, VICTIM)
    log_out(owner)
    attacker = client_from(app, "203.0.113.9")
    first_page = forgot(attacker, VICTIM)
    pages = [forgot(attacker, VICTIM) for _ in range(19)]
    pages += [sign_up_post(attacker, VICTIM) for _ in range(10)]
    assert len(mail.to(VICTIM)) == limit
    # The answer past the limit is the usual one, so nobody learns what happened.
    assert all(_without_token(page) == _without_token(first_page) for page in pages[:19])
    assert all(VICTIM in page for page in pages[19:])

    clock.advance(minutes=61)
    forgot(attacker, VICTIM)
    assert len(mail.to(VICTIM)) == limit + 1


def test_one_client_can_ask_for_at_most_its_hourly_mails(
    app: Flask, mail: MailServer, clock: Clock
) -> None:
    limit = app.config["MAIL_PER_CLIENT_PER_HOUR"]
    sender = client_from(app, "203.0.113.50")
    for n in range(limit + 5):
        sign_up_post(sender, f"new{n}@example.org")
    assert len(mail.messages) == limit
    elsewhere = client_from(app, "203.0.113.51")
    sign_up_post(elsewhere, "fresh@example.org")
    assert len(mail.to("fresh@example.org")) == 1


def test_resending_the_confirmation_is_capped_too(
    app: Flask, mail: MailServer, clock: Clock
) -> None:
    client = client_from(app, "203.0.113.60")
    sign_up_post(client, "slow@example.org")
    for _ in range(10):
        response = client.post(
            "/verify/resend",
            data={"csrf_token": csrf_token(client, "/signup"), "email": "slow@example.org"},
        )
        assert response.status_code == 200
    assert len(mail.to("slow@example.org")) == app.config["MAIL_PER_ADDRESS_PER_HOUR"]
