"""The shipped migrations build exactly the schema the models describe, on both databases.

The other tests create their schema from the models, so only this module proves that
``lti-tool db upgrade`` gives a deployment the same tables, and the no-overlap guard; and that
the payment, video and recommend plugins make and keep their own tables through branches of
their own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from lti_tool import database
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


@contextlib.contextmanager
def schemaless_app(database_url: str) -> Iterator[None]:
    """The tool on *database_url*, inside its context, with no schema made for it."""
    app = make_app(database_url)
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


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
    with schemaless_app(empty_database):
        with db.engine.connect() as connection:
            assert table_names(connection) == set()
        database.upgrade()
        with db.engine.connect() as connection:
            assert table_names(connection) == set(Base.metadata.tables) | {"alembic_version"}
            assert schema_differences(connection) == []
            assert no_overlap_guard(connection) == expected_guard(connection)


def test_downgrade_to_base_then_upgrade_again(empty_database: str) -> None:
    with schemaless_app(empty_database):
        database.upgrade()
        flask_migrate.downgrade(revision="base")
        with db.engine.connect() as connection:
            assert table_names(connection) <= {"alembic_version"}
            assert no_overlap_guard(connection) == set()
        database.upgrade()
        with db.engine.connect() as connection:
            assert schema_differences(connection) == []
            assert no_overlap_guard(connection) == expected_guard(connection)


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
        database.upgrade()
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


#: The last core revision whose tables included the plugins' ones.
BEFORE_HANDOVER = "c024187c2b11"
HANDOVER = "d2b617064d10"
PLUGIN_TABLES = {
    "payment": {"webhook_events", "payout_accounts"},
    "video": {"chat_messages"},
    "recommend": {"interactions"},
}
EVERY_PLUGIN_TABLE = set().union(*PLUGIN_TABLES.values())


def branch_heads(connection: sa.Connection) -> set[str]:
    return set(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


def plugin_heads() -> set[str]:
    """The last revision of each plugin's branch, as the tool's migration setup finds them."""
    config = current_app.extensions["migrate"].migrate.get_config()
    scripts = ScriptDirectory.from_config(config)
    found = set()
    for plugin in PLUGIN_TABLES:
        revision = scripts.get_revision(f"{plugin}@head")
        assert revision is not None
        found.add(revision.revision)
    return found


def test_each_plugin_migrates_its_own_tables_on_an_empty_database(empty_database: str) -> None:
    with schemaless_app(empty_database):
        directories = database.migration_directories()
        for plugin in PLUGIN_TABLES:
            assert any(f"lti_tool_{plugin}" in path for path in directories), plugin
        database.upgrade(HANDOVER)
        with db.engine.connect() as connection:
            # The core's own revisions leave no table of a plugin behind.
            assert table_names(connection) & EVERY_PLUGIN_TABLE == set()
        for plugin, tables in PLUGIN_TABLES.items():
            database.upgrade(f"{plugin}@head")
            with db.engine.connect() as connection:
                assert tables <= table_names(connection), plugin
        with db.engine.connect() as connection:
            assert plugin_heads() <= branch_heads(connection)
        database.upgrade()
        with db.engine.connect() as connection:
            assert schema_differences(connection) == []


def _insert(connection: sa.Connection, table: str, **values: object) -> None:
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    connection.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), values)


def _a_site_of_the_current_release(connection: sa.Connection) -> None:
    """Rows in every plugin table but ``webhook_events``, which an unpaid site has empty."""
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    stamps = {"created_at": now, "updated_at": now}
    _insert(
        connection,
        "users",
        id=1,
        email="l@example.org",
        name="L",
        is_active=True,
        calendar_token="t1",
        languages="[]",
        session_epoch=0,
        **stamps,
    )
    _insert(
        connection,
        "users",
        id=2,
        email="t@example.org",
        name="T",
        is_active=True,
        calendar_token="t2",
        languages="[]",
        session_epoch=0,
        **stamps,
    )
    _insert(
        connection,
        "tutor_profiles",
        id=1,
        user_id=2,
        headline="",
        bio="",
        timezone="Asia/Kolkata",
        languages="[]",
        price_cents=0,
        session_lengths="[60]",
        interval_min=30,
        min_notice_min=0,
        horizon_days=30,
        buffer_before_min=0,
        buffer_after_min=0,
        is_active=True,
        **stamps,
    )
    _insert(connection, "subjects", id=1, slug="algebra", name="Algebra", description="", **stamps)
    start, end = now + dt.timedelta(days=1), now + dt.timedelta(days=1, hours=1)
    _insert(
        connection,
        "bookings",
        id=1,
        uid="b1",
        tutor_id=1,
        learner_id=1,
        subject_id=1,
        start_at=start,
        end_at=end,
        block_start=start,
        block_end=end,
        state="confirmed",
        price_cents=0,
        currency="usd",
        sequence=0,
        cancel_reason="",
        **stamps,
    )
    _insert(
        connection,
        "chat_messages",
        booking_id=1,
        sender_id=1,
        client_message_id="c-00000001",
        body="hello before the upgrade",
        sent_at=now,
    )
    _insert(
        connection,
        "interactions",
        user_id=1,
        tutor_id=1,
        weight=2.5,
        occurred_at=now,
        source="import",
    )
    _insert(
        connection,
        "payout_accounts",
        provider="stripe",
        tutor_id=1,
        request_key="k" * 32,
        account_id="acct_kept",
        payable=True,
        **stamps,
    )


def test_plugins_take_over_their_tables_with_the_rows_kept(empty_database: str) -> None:
    with schemaless_app(empty_database):
        database.upgrade(BEFORE_HANDOVER)
        with db.engine.begin() as connection:
            _a_site_of_the_current_release(connection)
        database.upgrade()
        with db.engine.connect() as connection:
            assert EVERY_PLUGIN_TABLE <= table_names(connection)
            assert connection.execute(sa.text("SELECT body FROM chat_messages")).all() == [
                ("hello before the upgrade",)
            ]
            assert connection.execute(sa.text("SELECT weight FROM interactions")).all() == [(2.5,)]
            assert connection.execute(
                sa.text("SELECT account_id, payable FROM payout_accounts")
            ).all() == [("acct_kept", True)]
            assert connection.execute(sa.text("SELECT count(*) FROM webhook_events")).scalar() == 0
            assert plugin_heads() <= branch_heads(connection)
            assert schema_differences(connection) == []
        # The kept table goes on taking rows.
        with db.engine.begin() as connection:
            _insert(
                connection,
                "chat_messages",
                booking_id=1,
                sender_id=2,
                client_message_id="c-00000002",
                body="after",
                sent_at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
            )
            assert connection.execute(sa.text("SELECT count(*) FROM chat_messages")).scalar() == 2


def test_a_plugin_branch_goes_down_and_up_on_its_own(empty_database: str) -> None:
    with schemaless_app(empty_database):
        database.upgrade()
        flask_migrate.downgrade(revision="video@base")
        with db.engine.connect() as connection:
            names = table_names(connection)
            assert "chat_messages" not in names
            assert PLUGIN_TABLES["payment"] | PLUGIN_TABLES["recommend"] <= names
        database.upgrade()
        with db.engine.connect() as connection:
            assert schema_differences(connection) == []
