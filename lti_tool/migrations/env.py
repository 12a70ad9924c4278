"""Alembic environment: runs migrations against the application's own engine."""

from __future__ import annotations

import logging
import typing as t

from alembic import context
from alembic.operations.ops import MigrationScript
from flask import current_app

log = logging.getLogger("alembic.env")
migrate_extension = current_app.extensions["migrate"]
target_metadata = migrate_extension.db.metadata


def skip_empty_autogenerate(
    _context: t.Any, _revision: t.Any, directives: list[MigrationScript]
) -> None:
    # An autogenerate run that finds nothing should not leave an empty revision behind.
    cmd_opts = context.config.cmd_opts
    if cmd_opts is not None and getattr(cmd_opts, "autogenerate", False):
        upgrade = directives[0].upgrade_ops
        if upgrade is None or upgrade.is_empty():
            directives[:] = []
            log.info("The models and the migrations agree; no revision written.")


def run_online() -> None:
    options = dict(migrate_extension.configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    with migrate_extension.db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a table by copying it; with foreign keys enforced, dropping the
            # old copy of a referenced table fails. The pragma only works outside a
            # transaction, hence the raw driver connection.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=target_metadata, **options)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            raw = connection.connection.dbapi_connection
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            raw.execute("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"migration left rows with broken references: {broken[:5]}")


if context.is_offline_mode():
    context.configure(
        url=migrate_extension.db.engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_online()
