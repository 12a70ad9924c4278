"""The shipped migrations build exactly the schema the models describe, on both databases.

The other tests create their schema from the models, so only this module proves that
``lti-tool db upgrade`` gives a deployment the same tables, and the no-overlap guard.
"""

from __future__ import annotations

import re
from typing import Any

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lti_tool.models import Base
from lti_tool.models import db
from lti_tool.models.bookings import SQLITE_TRIGGERS
from lti_tool.testing import make_test_app as make_app

PG_EXCLUSION = "ex_bookings_tutor_no_overlap"
SQLITE_TRIGGER_NAMES = frozenset(
    re.findall(r"CREATE TRIGGER IF NOT EXISTS (\w+)", "".join(SQLITE_TRIGGERS))
)


def test_sqlite_guard_has_an_insert_and_an_update_trigger() -> None:
    assert SQLITE_TRIGGER_NAMES == {"bookings_no_overlap_insert", "bookings_no_overlap_update"}


def schema_differences(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences: list[Any] = compare_metadata(context, Base.metadata)
    return differences


def no_overlap_guard(connection: sa.Connection) -> set[str]:
    """Names of the database objects that keep one tutor's bookings apart."""
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            sa.text(
                "SELECT c.conname FROM pg_constraint AS c JOIN pg_class AS t ON t.oid = c.conrelid "
                "WHERE t.relname = 'bookings' AND c.contype = 'x'"
            )
        )
    else:
        rows = connection.execute(
            sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'bookings'"
            )
        )
    return set(rows.scalars())


def expected_guard(connection: sa.Connection) -> set[str]:
    if connection.dialect.name == "postgresql":
        return {PG_EXCLUSION}
    return set(SQLITE_TRIGGER_NAMES)


def table_names(connection: sa.Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def test_migrations_match_the_models(empty_database: str) -> None:
    app = make_app(empty_database)
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                assert table_names(connection) == set()
            flask_migrate.upgrade()
            with db.engine.connect() as connection:
                assert table_names(connection) == set(Base.metadata.tables) | {"alembic_version"}
                assert schema_differences(connection) == []
                assert no_overlap_guard(connection) == expected_guard(connection)
        finally:
            db.session.remove()
            db.engine.dispose()


def test_downgrade_to_base_then_upgrade_again(empty_database: str) -> None:
    app = make_app(empty_database)
    with app.app_context():
        try:
            flask_migrate.upgrade()
            flask_migrate.downgrade(revision="base")
            with db.engine.connect() as connection:
                assert table_names(connection) <= {"alembic_version"}
                assert no_overlap_guard(connection) == set()
            flask_migrate.upgrade()
            with db.engine.connect() as connection:
                assert schema_differences(connection) == []
                assert no_overlap_guard(connection) == expected_guard(connection)
        finally:
            db.session.remove()
            db.engine.dispose()


def test_upgrading_a_database_with_data_keeps_every_row(empty_database: str) -> None:
    app = make_app(empty_database)
    with app.app_context():
        flask_migrate.upgrade(revision="ab8613da040c")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, email, name, is_active, calendar_token, created_at,"
                    " updated_at) VALUES (1, 'a@example.org', 'A', true, 't1', :now, :now)"
                ),
                {"now": "2026-01-01 00:00:00"},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO tutor_profiles (id, user_id, headline, bio, timezone, languages,"
                    " price_cents, session_lengths, interval_min, min_notice_min, horizon_days,"
                    " buffer_before_min, buffer_after_min, is_active, payout_account_id,"
                    " created_at, updated_at)"
                    " VALUES (1, 1, '', '', 'Asia/Tokyo', '[]', 0, '[60]', 30, 0, 30, 0, 0,"
                    " true, 'acct_moved', :now, :now)"
                ),
                {"now": "2026-01-01 00:00:00"},
            )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT email, languages FROM users")).one() == (
                "a@example.org",
                [] if connection.dialect.name == "postgresql" else "[]",
            )
            assert connection.execute(sa.text("SELECT count(*) FROM tutor_profiles")).scalar() == 1
            # A tutor's payout account moves to its own table, not payable until checked.
            moved = "SELECT tutor_id, account_id, payable, length(request_key) FROM payout_accounts"
            assert connection.execute(sa.text(moved)).one() == (1, "acct_moved", False, 32)
            assert schema_differences(connection) == []
        db.engine.dispose()
