"""Steps of the public site's journey, shared by its tests and by tests that extend it.

``MailServer`` is a real SMTP server on a free loopback port (aiosmtpd); the site sends to it
through its ordinary SMTP settings and tests read what arrived. The ``*_in_browser`` steps drive
a Playwright page; the others drive a Flask test client.
"""

from __future__ import annotations

import email
import email.policy
import re
import threading
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.services import free_port

if t.TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Page

PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "wrong password"
#: A form's hidden CSRF field; group 1 is the token.
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r"https?://\S+")


class MailServer:
    """Collects every message delivered to it."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()
        self.port = 0
        self._controller: Controller | None = None

    async def handle_DATA(self, server: t.Any, session: t.Any, envelope: t.Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(t.cast(EmailMessage, message))
            self._arrived.notify_all()
        return "250 Message accepted"

    def start(self) -> None:
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    def settings(self) -> dict[str, t.Any]:
        """What ``create_app`` needs to send here."""
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_starttls": False}

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def last_to(
        self, address: str, subject: str | None = None, timeout: float = 10
    ) -> EmailMessage:
        """The newest message to *address* (with *subject*), waiting for it if needed."""

        def found() -> EmailMessage | None:
            for message in reversed(self.to(address)):
                if subject is None or subject.lower() in str(message["Subject"]).lower():
                    return message
            return None

        with self._arrived:
            self._arrived.wait_for(lambda: found() is not None, timeout=timeout)
        message = found()
        assert message is not None, f"no e-mail to {address} about {subject!r}"
        return message


@contextmanager
def running_mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def text_of(message: EmailMessage) -> str:
    """The decoded plain-text body."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def link_in(message: EmailMessage) -> str:
    """The first link in a plain-text message."""
    match = _LINK.search(text_of(message))
    assert match is not None, "the message has no link"
    return match.group(0)


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def token_in(page: str, where: str = "the page") -> str:
    """The CSRF token of the form on *page*."""
    match = CSRF_FIELD.search(page)
    assert match is not None, f"{where} has no form token"
    return match.group(1)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    return token_in(client.get(path).get_data(as_text=True), path)


def client_from(app: Flask, address: str) -> FlaskClient:
    """A test client whose requests come from *address*, as the rate limits see them."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_up(
    client: FlaskClient,
    mail: MailServer,
    email_address: str,
    *,
    name: str = "Ada Learner",
    password: str = PASSWORD,
    timezone: str = "America/New_York",
) -> str:
    """Sign up through the form; returns the path of the confirmation link e-mailed."""
    response = client.post(
        "/signup",
        data={
            "csrf_token": csrf_token(client, "/signup"),
            "name": name,
            "email": email_address,
            "password": password,
            "timezone": timezone,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return path_of(link_in(mail.last_to(email_address, "confirm")))


def log_in(
    client: FlaskClient, email_address: str, password: str = PASSWORD, **headers: str
) -> TestResponse:
    return client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "email": email_address, "password": password},
        headers=headers,
    )


def attempt(
    client: FlaskClient, email_address: str, password: str = WRONG_PASSWORD, **headers: str
) -> int:
    """The status a login try is answered with; the password is wrong unless one is given."""
    return log_in(client, email_address, password, **headers).status_code


def log_out(client: FlaskClient) -> None:
    response = client.post("/sign-out", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302


def sign_up_and_verify(
    client: FlaskClient, mail: MailServer, email_address: str, **details: t.Any
) -> None:
    """A confirmed account, logged in on *client*."""
    link = sign_up(client, mail, email_address, **details)
    assert client.get(link).status_code == 302
    response = log_in(client, email_address, details.get("password", PASSWORD))
    assert response.status_code == 302, response.get_data(as_text=True)


def sign_up_in_browser(
    page: Page,
    base_url: str,
    email_address: str,
    *,
    name: str = "Ada Learner",
    password: str = PASSWORD,
) -> None:
    """Fill in the sign-up form; the timezone is left as the browser reported it."""
    page.goto(f"{base_url}/signup")
    page.fill("[data-testid=name]", name)
    page.fill("[data-testid=email]", email_address)
    page.fill("[data-testid=password]", password)
    page.click("[data-testid=signup-submit]")
    page.wait_for_selector("[data-testid=check-inbox]")


def verify_in_browser(page: Page, mail: MailServer, email_address: str) -> None:
    """Open the confirmation link from the e-mail; ends on the login page."""
    page.goto(link_in(mail.last_to(email_address, "confirm")))
    page.wait_for_selector("[data-testid=login-form]")


def log_in_in_browser(
    page: Page, base_url: str, email_address: str, password: str = PASSWORD
) -> None:
    page.goto(f"{base_url}/login")
    page.fill("[data-testid=email]", email_address)
    page.fill("[data-testid=password]", password)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))
