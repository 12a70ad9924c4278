"""The e-mails the site sends about accounts, with links built from ``base_url``.

Links use the configured public URL, never the request's Host header, so a forged header
cannot make the site mail out a link to someone else's server.
"""

from __future__ import annotations

import typing as t

from flask import current_app
from flask import url_for

from lti_tool.api import User
from lti_tool.api import send_mail
from lti_tool_standalone import tokens

Sender = t.Callable[[User], None]


def absolute(endpoint: str, **values: t.Any) -> str:
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


def send_verification(user: User) -> None:
    link = absolute("accounts.verify", token=tokens.verification_token(user))
    days = tokens.VERIFY_MAX_AGE // 86400
    send_mail(
        user.email or "",
        "Confirm your e-mail address",
        f"Hello {user.display_name},\n\n"
        f"Open this link to confirm your e-mail address and start booking tutors:\n\n{link}\n\n"
        f"The link works for {days} days. If you did not sign up, ignore this message.\n",
    )


def send_signup_notice(user: User) -> None:
    link = absolute("accounts.forgot_password", email=user.email)
    send_mail(
        user.email or "",
        "Someone tried to sign up with your address",
        f"Hello {user.display_name},\n\n"
        "Someone tried to create an account with this e-mail address, which already has one.\n"
        f"If it was you, log in, or choose a new password here:\n\n{link}\n\n"
        "If it was not you, nothing has changed and you can ignore this message.\n",
    )


def send_reset(user: User) -> None:
    link = absolute("accounts.reset_password", token=tokens.reset_token(user))
    minutes = tokens.RESET_MAX_AGE // 60
    send_mail(
        user.email or "",
        "Choose a new password",
        f"Hello {user.display_name},\n\n"
        f"Open this link to choose a new password:\n\n{link}\n\n"
        f"It works once, for {minutes} minutes. If you did not ask for it, ignore this message;\n"
        "your password stays as it is.\n",
    )
