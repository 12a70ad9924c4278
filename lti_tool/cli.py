"""The ``lti-tool`` command line."""

from __future__ import annotations

import os
import sys
import typing as t
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import FlaskGroup
from flask.cli import with_appcontext

from lti_tool import money
from lti_tool.config import ConfigError
from lti_tool.config import load_config
from lti_tool.jobs.commands import jobs_group
from lti_tool.jobs.commands import worker_command
from lti_tool.lti.platforms.commands import COMMAND_GROUPS
from lti_tool.plugins import PluginLoadError
from lti_tool.plugins import get_plugins
from lti_tool.plugins import load_plugins
from lti_tool.plugins import pm


def fail(message: str, code: int = 2) -> t.NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _create_app() -> Flask:
    from lti_tool.app import create_app

    try:
        # Commands other than serve need no async server, and eventlet warns on import.
        return create_app({"async_mode": "threading"})
    except (ConfigError, PluginLoadError) as exc:
        fail(str(exc))


cli = FlaskGroup(
    name="lti-tool",
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    help="Run and administer the tutoring tool.",
)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--async-mode",
    type=click.Choice(["eventlet", "gevent"]),
    help="Socket.IO backend; defaults to the async_mode setting.",
)
def serve(host: str, port: int, async_mode: str | None) -> None:
    """Serve the tool and its Socket.IO endpoint."""
    try:
        mode = async_mode or load_config()["async_mode"]
    except ConfigError as exc:
        fail(str(exc))
    if mode == "threading":
        fail("LTI_TOOL_ASYNC_MODE: 'threading' is for tests; serve with eventlet or gevent")
    # The async library must patch the standard library before anything else imports it, so
    # the server runs in a fresh interpreter.
    argv = [sys.executable, "-m", "lti_tool.serving", mode, host, str(port)]
    sys.stdout.flush()
    os.execv(sys.executable, argv)


@cli.command("plugins")
@click.option("--all", "show_all", is_flag=True, help="Include the built-in defaults.")
def plugins_command(show_all: bool) -> None:
    """List installed plugins, their versions and the hooks they implement."""
    for info in get_plugins():
        if info.builtin and not show_all:
            continue
        label = " (built-in)" if info.builtin else ""
        click.echo(f"{info.name} {info.version or '-'}{label}: {', '.join(info.hooks) or '-'}")


@cli.command("new-plugin")
@click.argument("name")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where the plugin's folder is made.",
)
def new_plugin_command(name: str, directory: Path) -> None:
    """Write the skeleton of a plugin distribution named NAME (docs/writing-a-plugin.md)."""
    from lti_tool.plugin_template import PluginNameRefused
    from lti_tool.plugin_template import create_plugin

    try:
        target = create_plugin(name, directory)
    except PluginNameRefused as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"could not write the plugin: {exc}", 1)
    click.echo(f"Wrote {target}. Next: pip install -e {target}, then lti-tool plugins.")


@cli.command("demo")
@click.option("--reset", is_flag=True, help="Delete existing demo data first.")
@with_appcontext
def demo_command(reset: bool) -> None:
    """Fill the database with believable demo tutors, learners and sessions."""
    from lti_tool import demo

    summary = demo.seed(reset=reset)
    click.echo(summary)


@cli.group("import")
def import_group() -> None:
    """Bring data in from other systems."""


@import_group.command("tutors")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print {external_id: tutor id} as JSON.")
def import_tutors_command(csv_file: str, as_json: bool) -> None:
    """Create or update tutors from a CSV file; any bad row rejects the whole file."""
    import csv
    import json

    from lti_tool.tutors import csv_import

    currency = money.site_currency()
    with open(csv_file, newline="", encoding="utf-8-sig") as stream:
        try:
            total = sum(1 for _ in csv_import.read_rows(stream)) - 1
            stream.seek(0)
            if sys.stdout.isatty() and total > 0:
                with click.progressbar(length=total, label="Importing tutors") as bar:
                    ids, updated = csv_import.import_tutors(
                        stream, currency=currency, progress=bar.update
                    )
            else:
                ids, updated = csv_import.import_tutors(stream, currency=currency)
        except csv_import.ImportRejected as exc:
            click.echo(exc.report(), err=True)
            sys.exit(1)
        except (UnicodeDecodeError, csv.Error) as exc:
            fail(f"{csv_file} is not a UTF-8 CSV file ({exc}); nothing was imported.", 1)
    if as_json:
        click.echo(json.dumps(ids))
    else:
        click.echo(f"Imported {len(ids)} tutors: {len(ids) - updated} new, {updated} updated.")


@cli.group("export")
def export_group() -> None:
    """Write data out for other systems."""


@export_group.command("bookings")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Default: stdout.")
def export_bookings_command(fmt: str, output: str | None) -> None:
    """Every booking, with start and end in UTC."""
    from lti_tool.tutors import csv_export

    if output is None:
        csv_export.export_bookings(sys.stdout, fmt)
        return
    with open(output, "w", newline="", encoding="utf-8") as stream:
        count = csv_export.export_bookings(stream, fmt)
    click.echo(f"Wrote {count} bookings to {output}.", err=True)


for _group in (*COMMAND_GROUPS, jobs_group, worker_command):
    cli.add_command(_group)


@cli.group("bookings")
def bookings_group() -> None:
    """Booking housekeeping."""


@bookings_group.command("expire-holds")
@with_appcontext
def expire_holds_command() -> None:
    """Mark unpaid bookings whose hold has run out as expired (run it from cron).

    Lapsed holds already stop blocking their slots; this records the change, with its audit
    row and booking_event, without waiting for the tutor's next booking.
    """
    from lti_tool.booking import booking_service

    expired = booking_service().expire_holds()
    click.echo(f"{len(expired)} held booking(s) expired.")


@cli.group("privacy")
def privacy_group() -> None:
    """A person's data: export it, erase it (docs/privacy.md)."""


def _person(email: str | None, user_id: int | None) -> t.Any:
    import sqlalchemy as sa

    from lti_tool.models import User
    from lti_tool.models import db

    if (email is None) == (user_id is None):
        fail("give exactly one of --email and --user-id")
    if email is not None:
        user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    else:
        user = db.session.get(User, user_id)
    if user is None:
        fail(f"no person with {'e-mail ' + str(email) if email else 'id ' + str(user_id)}", 1)
    return user


_PERSON_OPTIONS = (
    click.option("--email", help="The person's e-mail address."),
    click.option("--user-id", type=click.IntRange(1, 2**63 - 1), help="The person's id."),
)


def _person_options(command: t.Callable[..., None]) -> t.Callable[..., None]:
    for option in reversed(_PERSON_OPTIONS):
        command = option(command)
    return command


@privacy_group.command("export")
@_person_options
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Default: stdout.")
@with_appcontext
def privacy_export_command(email: str | None, user_id: int | None, output: str | None) -> None:
    """Everything kept about one person, as JSON."""
    import json

    from lti_tool.privacy import export_person

    data = json.dumps(export_person(_person(email, user_id)), indent=2, ensure_ascii=False)
    if output is None:
        click.echo(data)
        return
    with open(output, "w", encoding="utf-8") as stream:
        stream.write(data + "\n")
    click.echo(f"Wrote {output}.", err=True)


@privacy_group.command("erase")
@_person_options
@click.option("--cancel-upcoming", is_flag=True, help="Cancel their open sessions first.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def privacy_erase_command(
    email: str | None, user_id: int | None, cancel_upcoming: bool, yes: bool
) -> None:
    """Erase what names or describes one person; bookings, payments and audit rows stay,
    anonymous."""
    from lti_tool.booking import current_time
    from lti_tool.privacy import ErasureRefused
    from lti_tool.privacy import erase_person

    user = _person(email, user_id)
    if not yes:
        click.confirm(f"Erase person {user.id} ({user.name})? This cannot be undone", abort=True)
    try:
        erasure = erase_person(user, now=current_time(), cancel_upcoming=cancel_upcoming)
    except ErasureRefused as exc:
        fail(str(exc), 1)
    if erasure.failed_plugins:
        fail(
            f"Person {erasure.user_id} erased, but these plugins could not remove their part: "
            f"{', '.join(erasure.failed_plugins)} (see the log; erase again to retry them)",
            1,
        )
    click.echo(f"Person {erasure.user_id} erased.")


@privacy_group.command("sweep")
@with_appcontext
def privacy_sweep_command() -> None:
    """Delete what has outlived its retention period (room chat, plugins' data such as
    recordings); run it daily from cron."""
    from lti_tool.booking import current_time
    from lti_tool.privacy import sweep

    deleted = sweep(current_time())
    for kind, count in sorted(deleted.items()):
        click.echo(f"{count} {kind.replace('_', ' ')} deleted.")


def main() -> None:
    try:
        load_plugins()
    except PluginLoadError as exc:
        fail(str(exc))
    pm.hook.register_commands(cli=cli)
    try:
        cli.main(prog_name="lti-tool")
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        if not _missing_table(exc):
            raise
        fail(
            "the database has no table this command needs (its schema is older than this "
            f"version: {str(exc.orig).splitlines()[0]}); run `lti-tool db upgrade` first"
        )


def _missing_table(exc: sa.exc.DBAPIError) -> bool:
    text = str(exc.orig)
    # SQLite says "no such table", PostgreSQL 'relation "x" does not exist'.
    return "no such table" in text or ("relation" in text and "does not exist" in text)


if __name__ == "__main__":  # pragma: no cover
    main()
