"""``lti-tool users``: give a person a password, so demo people can log in like anyone else."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lti_tool.api import User
from lti_tool.api import current_time
from lti_tool.api import db
from lti_tool.api import end_every_session
from lti_tool_standalone.passwords import WeakPassword
from lti_tool_standalone.passwords import check_new_password
from lti_tool_standalone.passwords import hash_password

users_group = AppGroup("users", help="Local accounts of the public site.")


@users_group.command("set-password")
@click.argument("email")
@click.password_option(
    "--password", prompt="New password", help="Read from a prompt when not given."
)
def set_password_command(email: str, password: str) -> None:
    """Set EMAIL's password and mark the address confirmed (the operator vouches for it)."""
    address = email.strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == address))
    if user is None:
        raise click.ClickException(f"no one has the e-mail address {address!r}")
    try:
        check_new_password(password, address)
    except WeakPassword as exc:
        raise click.ClickException(str(exc)) from None
    user.password_hash = hash_password(password)
    user.email_verified_at = user.email_verified_at or current_time()
    end_every_session(user)
    click.echo(f"{user.display_name} <{address}> can now log in at /login.")
