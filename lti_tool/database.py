"""Database wiring: engine options per backend, SQLite's transaction handling, migrations."""

from __future__ import annotations

import contextlib
import os
import typing as t
from collections.abc import Iterator
from pathlib import Path

import click
import flask_migrate
import sqlalchemy as sa
from alembic.config import Config
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate import Migrate
from flask_migrate.cli import db as migrate_commands
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm import scoped_session

from lti_tool.models import db

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
migrate = Migrate()
#: Every branch at once: the core's and each plugin's (see the ``migration_directory`` hook).
ALL_HEADS = "heads"

#: Execution option that asks SQLite to take its write lock when the transaction begins.
WRITE_INTENT = "lti_tool_write_intent"


def engine_options(database_url: str) -> dict[str, t.Any]:
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        # Writers wait for each other instead of failing at once with "database is locked".
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 40}


def _configure_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: t.Any, _record: t.Any) -> None:
        # The driver's own implicit BEGIN would hide the transaction start from us; we emit
        # BEGIN ourselves in on_begin so a writer can ask for the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        # A deferred transaction that reads and then writes cannot wait for the lock (SQLite
        # returns BUSY at once to avoid deadlock), so writers begin IMMEDIATE.
        if connection.get_execution_options().get(WRITE_INTENT):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def migration_directories() -> list[str]:
    """The core's revisions, then each plugin's branch."""
    from lti_tool.plugins import pm

    found = [str(MIGRATIONS_DIR / "versions")]
    for answer in pm.hook.migration_directory():
        if answer is not None and str(answer) not in found:
            found.append(str(answer))
    return found


# Flask-Migrate's stubs type the callback with its own Config subclass, which is an
# alembic Config to the letter.
@migrate.configure  # type: ignore[arg-type]
def _with_plugin_branches(config: Config) -> Config:
    config.set_main_option("path_separator", "os")
    # ConfigParser would read a "%" in a path as the start of an interpolation.
    paths = os.pathsep.join(migration_directories()).replace("%", "%%")
    config.set_main_option("version_locations", paths)
    return config


def upgrade(revision: str = ALL_HEADS) -> None:
    """Migrate the core and every plugin's tables (or only to *revision*)."""
    flask_migrate.upgrade(directory=str(MIGRATIONS_DIR), revision=revision)


@click.command("upgrade")
@click.argument("revision", default=ALL_HEADS)
@with_appcontext
def upgrade_command(revision: str) -> None:
    """Migrate the core's and every plugin's tables (to REVISION, all heads by default)."""
    upgrade(revision)


def _db_commands() -> click.Group:
    # Flask-Migrate's own group, whose "upgrade" would aim at one head where plugins add
    # theirs: the rest of its commands (downgrade, history, heads, revision...) serve as is.
    group = click.Group(
        "db",
        params=migrate_commands.params,
        callback=migrate_commands.callback,
        help="Create or migrate the database schema (Alembic).",
    )
    for name, command in migrate_commands.commands.items():
        group.add_command(command, name)
    group.add_command(upgrade_command)
    return group


def init_app(app: Flask) -> None:
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["DATABASE_URL"])
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    app.cli.add_command(_db_commands())
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)


@contextlib.contextmanager
def write_transaction(
    session: Session | scoped_session[Session] | None = None,
) -> Iterator[Session]:
    """Run a block as one write transaction: committed at the end, rolled back on error.

    On SQLite the write lock is taken when the transaction starts, so concurrent writers
    queue instead of failing.
    """
    if session is None or isinstance(session, scoped_session):
        session = (session or db.session)()
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_INTENT: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
