from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.models import Base
from lti_tool.plugins import load_plugins
from lti_tool.plugins import pm
from lti_tool.testing import app_in_context

# The client and runner fixtures a plugin author gets, here on this conftest's own app (on
# SQLite and PostgreSQL).
from lti_tool.testing import client as client
from lti_tool.testing import runner as runner
from tests import services

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    sys._called_from_test = True  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    reasons = {
        str(report.longrepr[2]) for report in skipped if "SERVICE MISSING" in str(report.longrepr)
    }
    if reasons:
        terminalreporter.write_sep("!", "tests skipped because a service is missing", red=True)
        for reason in sorted(reasons):
            terminalreporter.write_line(reason, red=True)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, with the schema created; dropped at the end."""
    admin_url = sa.engine.make_url(services.postgres_url())
    name = f"lti_tool_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        admin_url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin_url.set(drivername="postgresql+psycopg", database=name)
    engine = sa.create_engine(url)
    # Plugins declare their own tables on the shared metadata when they are imported.
    load_plugins()
    Base.metadata.create_all(engine)
    engine.dispose()
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that uses the database runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A PostgreSQL database of its own, empty, dropped afterwards even with connections open."""
    admin_url = sa.engine.make_url(services.postgres_url()).set(drivername="postgresql+psycopg")
    name = f"lti_tool_migrations_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    url: str = request.getfixturevalue("empty_postgres")
    return url


def fresh_module_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, label: str
) -> str:
    """For a module-scoped fixture parametrized like :func:`database_url`: a new SQLite file,
    or the run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp(label) / f'{label}.sqlite'}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    with app_in_context(database_url) as app:
        yield app


@pytest.fixture
def register_plugin() -> Iterator[Any]:
    """Register a throwaway plugin for one test; it is unregistered afterwards."""
    names: list[str] = []

    def register(plugin: object, name: str | None = None) -> object:
        name = name or f"test-plugin-{uuid.uuid4().hex[:8]}"
        pm.register(plugin, name=name)
        names.append(name)
        return plugin

    yield register
    for name in names:
        with contextlib.suppress(ValueError):
            pm.unregister(name=name)


@pytest.fixture
def venv_bin() -> Path:
    return Path(sys.executable).parent


@pytest.fixture
def clean_env() -> dict[str, str]:
    """The environment for a subprocess, without this machine's LTI_TOOL_ settings."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LTI_TOOL_") or k.startswith("LTI_TOOL_TEST_")
    }
