"""Outgoing e-mail through the SMTP server named in the settings.

With no ``smtp_host`` nothing is sent: development writes each message to the log so its links
can still be followed; production logs only that a message was dropped, because the links in
these messages are as good as a password.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import typing as t
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

log = logging.getLogger(__name__)


class MailError(Exception):
    """The SMTP server could not be reached or refused the message."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str
    """``maintype/subtype``, such as ``text/calendar``."""


def build_message(
    to: str, subject: str, body: str, attachments: t.Sequence[Attachment] = ()
) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    domain = config["MAIL_FROM"].rsplit("@", 1)[-1].strip(" >") or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body)
    for item in attachments:
        maintype, _, subtype = item.mime_type.partition("/")
        message.add_attachment(
            item.content, maintype=maintype, subtype=subtype, filename=item.filename
        )
    return message


def send_mail(to: str, subject: str, body: str, attachments: t.Sequence[Attachment] = ()) -> None:
    """Send a plain-text message to *to*, with *attachments*.

    :raises MailError: the server was unreachable or refused it.
    """
    config = current_app.config
    message = build_message(to, subject, body, attachments)
    if not config["SMTP_HOST"]:
        if config["MODE"] == "development":
            log.warning("e-mail is not configured; this message was not sent:\n%s", message)
        else:
            log.error("e-mail is not configured (smtp_host); a message to %s was dropped", to)
        return
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"could not send e-mail through {config['SMTP_HOST']}: {exc}") from exc
