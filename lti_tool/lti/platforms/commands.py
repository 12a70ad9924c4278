"""``lti-tool keys`` (signing keys and the sealing of stored secrets), ``lti-tool platform`` and
``lti-tool deployment``."""

from __future__ import annotations

import datetime as dt
import sys
import typing as t

import click
from flask.cli import AppGroup

from lti_tool import sealing
from lti_tool.database import write_transaction
from lti_tool.lti.platforms import dynamic_registration
from lti_tool.lti.platforms import registrations
from lti_tool.lti.protocol import keys
from lti_tool.models import Base
from lti_tool.models import utcnow


def _fail(message: str) -> t.NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


keys_group = AppGroup(
    "keys",
    help="The tool's signing keys (published at /.well-known/jwks.json) and the data keys "
    "that seal stored secrets.",
)
platform_group = AppGroup("platform", help="LMS platforms the tool is registered with.")
deployment_group = AppGroup("deployment", help="Deployments of a registered platform.")
COMMAND_GROUPS: tuple[click.Command, ...] = (keys_group, platform_group, deployment_group)


@keys_group.command("rotate")
@click.option(
    "--grace-hours",
    type=click.FloatRange(min=0),
    default=72,
    show_default=True,
    help="How long the previous key stays published for platforms that cached it.",
)
def rotate_command(grace_hours: float) -> None:
    """Make a new signing key active; the old one is retired after the grace period."""
    keys.active_key()
    key = keys.rotate(dt.timedelta(hours=grace_hours))
    retired = keys.retire_expired()
    click.echo(f"New active key {key.kid}; previous keys stay published for {grace_hours:g} h.")
    if retired:
        click.echo(f"Deleted {retired} key(s) whose grace period had ended.")


@keys_group.command("list")
def list_keys_command() -> None:
    """Keys and whether they are active, published or waiting to be deleted."""
    keys.active_key()
    now = utcnow()
    for key in keys.all_keys():
        if key.active:
            status = "active"
        elif key.retire_at and key.retire_at > now:
            status = f"published until {key.retire_at:%Y-%m-%d %H:%M} UTC"
        else:
            status = "retired (deleted by the next rotate)"
        click.echo(f"{key.kid}  created {key.created_at:%Y-%m-%d %H:%M} UTC  {status}")


@keys_group.command("reseal")
def reseal_command() -> None:
    """Seal every stored secret with the newest data key (the first of LTI_TOOL_DATA_KEYS).

    To rotate the data key: put a new key first, run this, then drop the old key.
    """
    ring = sealing.current_ring()
    try:
        with write_transaction() as session:
            changed = sealing.reseal(
                session.connection(), sealing.sealed_columns(Base.metadata), ring
            )
    except sealing.SealError as exc:
        _fail(f"{exc}; nothing was changed.")
    for column, count in changed.items():
        click.echo(f"{column}: {count} value(s) sealed again.")
    click.echo(f"Every stored secret is sealed with data key {ring.newest_id}.")


@platform_group.command("add")
@click.option("--lms", required=True, help="LMS family: generic, or one an installed plugin adds.")
@click.option("--issuer", required=True, help="The platform's issuer (iss), a URL.")
@click.option("--client-id", required=True, help="The client id the platform gave the tool.")
@click.option("--deployment-id", required=True, help="The first deployment's id.")
@click.option("--auth-login-url", help="OIDC authorization endpoint (derived for known LMSs).")
@click.option("--auth-token-url", help="OAuth 2 token endpoint (derived for known LMSs).")
@click.option("--key-set-url", help="The platform's JWKS URL (derived for known LMSs).")
@click.option("--auth-audience", help="Audience of token requests, if not the token URL.")
@click.option("--institution-paid", is_flag=True, help="Learners of this deployment pay nothing.")
def add_platform_command(**options: t.Any) -> None:
    """Register a platform and its first deployment."""
    try:
        registration = registrations.add_platform(**options)
    except registrations.PlatformError as exc:
        _fail(f"{exc}; nothing was saved.")
    click.echo(
        f"Registered {registration.issuer} (client id {registration.client_id}, "
        f"{registration.lms}) with deployment {options['deployment_id']}."
    )
    click.echo(f"  login     {registration.auth_login_url}")
    click.echo(f"  token     {registration.auth_token_url}")
    click.echo(f"  key set   {registration.key_set_url}")


@platform_group.command("list")
def list_platforms_command() -> None:
    """Registered platforms with their deployments."""
    found = registrations.list_platforms()
    if not found:
        click.echo("No platform is registered; add one with `lti-tool platform add`.")
    for registration in found:
        deployments = ", ".join(
            d.deployment_id + (" (institution pays)" if d.institution_paid else "")
            for d in registration.deployments
        )
        click.echo(
            f"{registration.issuer}  client id {registration.client_id}  [{registration.lms}]  "
            f"deployments: {deployments or '-'}"
        )


@platform_group.command("invite")
@click.option(
    "--expires-in",
    "hours",
    type=click.IntRange(1, dynamic_registration.MAX_INVITE_HOURS),
    default=dynamic_registration.INVITE_HOURS,
    show_default=True,
    metavar="HOURS",
    help="How long the registration link can be used.",
)
@click.option(
    "--note",
    default="",
    help="Who or which LMS the invitation is for, shown by `lti-tool platform invites`.",
)
def invite_command(hours: int, note: str) -> None:
    """Print a one-time Dynamic Registration link to paste into an LMS."""
    try:
        invite, token = dynamic_registration.create_invite(hours, note)
    except ValueError:
        # --expires-in is already held to its range by click, so only the note is left.
        raise click.BadParameter(
            f"at most {dynamic_registration.MAX_NOTE_LENGTH} characters", param_hint="--note"
        ) from None
    click.echo(dynamic_registration.invite_url(token))
    click.echo(
        f"Invitation {invite.id}: paste this link into the LMS's Dynamic Registration form "
        f"before {invite.expires_at:%Y-%m-%d %H:%M} UTC. It works once; the link is not "
        "stored and cannot be shown again.",
        err=True,
    )


@platform_group.command("invites")
def invites_command() -> None:
    """Registration invitations and what became of them (their links are never shown)."""
    found = dynamic_registration.list_invites()
    if not found:
        click.echo("No invitation was made; make one with `lti-tool platform invite`.")
    now = utcnow()
    for invite in found:
        if invite.used_at is not None:
            used_for = invite.registration
            status = f"used {invite.used_at:%Y-%m-%d %H:%M} UTC" + (
                f" by {used_for.issuer} (client id {used_for.client_id})" if used_for else ""
            )
        elif invite.expires_at <= now:
            status = f"expired {invite.expires_at:%Y-%m-%d %H:%M} UTC"
        else:
            status = f"open until {invite.expires_at:%Y-%m-%d %H:%M} UTC"
        note = f"  {invite.note}" if invite.note else ""
        click.echo(f"{invite.id}  created {invite.created_at:%Y-%m-%d %H:%M} UTC  {status}{note}")


@platform_group.command("remove")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--yes", is_flag=True, help="Do not ask before removing courses.")
def remove_platform_command(issuer: str, client_id: str, yes: bool) -> None:
    """Remove a platform, its deployments and the courses launched from them."""
    registration = registrations.find_registration(issuer.strip(), client_id.strip())
    if registration is None:
        _fail(f"no platform {issuer} with client id {client_id} is registered")
    courses = registrations.course_count(registration)
    if courses and not yes:
        click.confirm(
            f"{issuer} has {courses} course(s) with their enrollments; remove them too?",
            abort=True,
        )
    try:
        removed = registrations.remove_platform(issuer=issuer, client_id=client_id)
    except registrations.PlatformError as exc:
        _fail(f"{exc}; nothing was removed.")
    click.echo(
        f"Removed {removed.issuer} (client id {removed.client_id}): "
        f"{removed.deployments} deployment(s), {removed.courses} course(s)."
    )


@deployment_group.command("add")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--deployment-id", required=True)
@click.option("--institution-paid", is_flag=True, help="Learners of this deployment pay nothing.")
def add_deployment_command(
    issuer: str, client_id: str, deployment_id: str, institution_paid: bool
) -> None:
    """Add a deployment to a registered platform."""
    try:
        registrations.add_deployment(
            issuer=issuer,
            client_id=client_id,
            deployment_id=deployment_id,
            institution_paid=institution_paid,
        )
    except registrations.PlatformError as exc:
        _fail(f"{exc}; nothing was saved.")
    paid = " (institution pays)" if institution_paid else ""
    click.echo(f"Added deployment {deployment_id}{paid} to {issuer}.")
