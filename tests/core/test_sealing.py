"""Secrets at rest: what the database holds is sealed, opens only with the configured data
keys, survives a rotation of those keys, and is sealed by the migration when it was not."""

from __future__ import annotations

import datetime as dt
import json

import flask_migrate
import jwt
import pytest
import sqlalchemy as sa
from click.testing import Result
from cryptography.fernet import Fernet
from flask import Flask

import lti_tool.cli
from lti_tool import database
from lti_tool import sealing
from lti_tool.config import ConfigError
from lti_tool.config import load_config
from lti_tool.default_plugins.dev_lms import platform as dev_platform
from lti_tool.lti.products.tool_config import ToolUrls
from lti_tool.lti.protocol import keys
from lti_tool.models import Registration
from lti_tool.models import ToolKey
from lti_tool.models import db
from lti_tool.sealing import KeyRing
from lti_tool.sealing import SealError
from lti_tool.testing import app_in_context
from lti_tool.testing import make_test_app as make_app

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
BEFORE_SEALING = "a7e5e5510e0c"
SEALING = "0c59dcfaf062"


def stored(sql: str) -> list[str]:
    """Values as the database holds them, read below the models."""
    with db.engine.connect() as connection:
        return [str(value) for value in connection.execute(sa.text(sql)).scalars()]


def reseal(app: Flask) -> Result:
    return app.test_cli_runner().invoke(lti_tool.cli.cli, ["keys", "reseal"])


def signs_and_verifies(app: Flask) -> str:
    """The active key's PEM, after proving it still signs what its public key verifies."""
    db.session.expire_all()
    key = keys.active_key()
    token = keys.sign({"aud": "platform"})
    public = jwt.PyJWK(dict(key.public_jwk)).key
    assert jwt.decode(token, public, algorithms=["RS256"], audience="platform")
    return key.private_key_pem


def test_the_tool_key_is_stored_sealed_and_read_back_whole(database_url: str) -> None:
    with app_in_context(database_url, data_keys=OLD) as app:
        pem = signs_and_verifies(app)
        assert pem.startswith("-----BEGIN PRIVATE KEY-----")
        (raw,) = stored("SELECT private_key_pem FROM lti_tool_keys")
        assert raw.startswith(f"sealed:{sealing.key_id(OLD)}:")
        assert "PRIVATE KEY" not in raw and pem.splitlines()[1] not in raw


def test_the_development_platform_key_is_stored_sealed(database_url: str) -> None:
    with app_in_context(database_url, data_keys=OLD):
        registration = dev_platform.ensure_registration("http://127.0.0.1:5000")
        published = dev_platform.key_set(registration)["keys"][0]
        (raw_key,) = stored("SELECT platform_private_key_pem FROM lti_registrations")
        (raw_settings,) = stored("SELECT settings FROM lti_registrations")
        assert raw_key.startswith("sealed:") and "PRIVATE KEY" not in raw_key
        assert "PRIVATE KEY" not in raw_settings and "sealed:" not in raw_settings

        token = dev_platform.id_token(
            registration,
            ToolUrls("http://127.0.0.1:5000"),
            person=dev_platform.PEOPLE["ada"],
            nonce="n-1",
        )
        claims = jwt.decode(
            token, jwt.PyJWK(published).key, algorithms=["RS256"], audience="dev-lms-tool"
        )
        assert claims["sub"] == "dev-ada"


def test_sealing_is_random_and_opens_to_the_same_text() -> None:
    ring = KeyRing((NEW, OLD))
    text = "-----BEGIN PRIVATE KEY-----\nsecret ü\n"
    first, second = ring.seal(text), ring.seal(text)
    assert first != second
    assert ring.open(first) == ring.open(second) == text
    assert ring.sealed_by(first) == sealing.key_id(NEW)
    assert KeyRing((OLD, NEW)).open(first) == text


def test_rotation_then_dropping_the_old_key(database_url: str) -> None:
    with app_in_context(database_url, data_keys=OLD) as app:
        pem = signs_and_verifies(app)
        dev_platform.ensure_registration("http://127.0.0.1:5000")
        before = stored("SELECT private_key_pem FROM lti_tool_keys")

    with app_in_context(database_url, data_keys=f"{NEW}, {OLD}") as app:
        # Both keys open during the change-over; new writes use the new key.
        assert signs_and_verifies(app) == pem
        result = reseal(app)
        assert result.exit_code == 0, result.output
        assert "lti_tool_keys.private_key_pem: 1 value(s) sealed again." in result.output
        assert "lti_registrations.platform_private_key_pem: 1 value(s)" in result.output
        assert f"data key {sealing.key_id(NEW)}" in result.output
        after = stored("SELECT private_key_pem FROM lti_tool_keys")
        assert after != before
        assert after[0].startswith(f"sealed:{sealing.key_id(NEW)}:")
        again = reseal(app)
        assert "lti_tool_keys.private_key_pem: 0 value(s)" in again.output
        assert stored("SELECT private_key_pem FROM lti_tool_keys") == after

    with app_in_context(database_url, data_keys=NEW) as app:
        assert signs_and_verifies(app) == pem
        registration = db.session.scalar(sa.select(Registration))
        assert registration is not None
        assert dev_platform.key_set(registration)["keys"]


def test_a_value_sealed_with_an_unknown_key_fails_clearly(database_url: str) -> None:
    with app_in_context(database_url, data_keys=OLD) as app:
        signs_and_verifies(app)
        before = stored("SELECT private_key_pem FROM lti_tool_keys")

    with app_in_context(database_url, data_keys=NEW) as app:
        key = db.session.scalar(sa.select(ToolKey))
        assert key is not None
        with pytest.raises(SealError) as excinfo:
            key.private_key_pem  # noqa: B018 (reading is what fails)
        message = str(excinfo.value)
        assert f"data key {sealing.key_id(OLD)}" in message
        assert sealing.key_id(NEW) in message and "LTI_TOOL_DATA_KEYS" in message
        db.session.rollback()

        result = reseal(app)
        assert result.exit_code == 1
        assert "nothing was changed" in result.output
        assert stored("SELECT private_key_pem FROM lti_tool_keys") == before


def test_an_altered_or_unsealed_value_is_refused(database_url: str) -> None:
    with app_in_context(database_url, data_keys=OLD) as app:
        signs_and_verifies(app)
        (raw,) = stored("SELECT private_key_pem FROM lti_tool_keys")
        flipped = raw[:-10] + ("A" if raw[-10] != "A" else "B") + raw[-9:]
        for value, said in ((flipped, "altered"), ("-----BEGIN PRIVATE KEY-----", "db upgrade")):
            with db.engine.begin() as connection:
                connection.execute(
                    sa.text("UPDATE lti_tool_keys SET private_key_pem = :v"), {"v": value}
                )
            # Ends the session's read transaction too: SQLite would keep showing its snapshot.
            db.session.rollback()
            key = db.session.scalar(sa.select(ToolKey))
            assert key is not None
            with pytest.raises(SealError, match=said):
                key.private_key_pem  # noqa: B018 (reading is what fails)
            db.session.rollback()


def test_production_refuses_to_start_without_a_data_key() -> None:
    production = {"LTI_TOOL_MODE": "production", "LTI_TOOL_SECRET_KEY": "s" * 48}
    with pytest.raises(ConfigError, match=r"^LTI_TOOL_DATA_KEYS: production mode needs a data key"):
        load_config(environ=production)
    with pytest.raises(ConfigError, match="LTI_TOOL_DATA_KEYS"):
        make_app("sqlite://", mode="production", secret_key="s" * 48, realtime_diagnostics=False)
    assert load_config(environ={**production, "LTI_TOOL_DATA_KEYS": f"{NEW},{OLD}"})[
        "data_keys"
    ] == (NEW, OLD)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (f"{NEW},not-a-key", "key 2 is not a data key"),
        (f"{NEW},{NEW}", "listed twice"),
    ],
    ids=["malformed", "duplicate"],
)
def test_a_bad_data_key_is_named_without_being_echoed(value: str, said: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(environ={"LTI_TOOL_DATA_KEYS": value})
    message = str(excinfo.value)
    assert message.startswith("LTI_TOOL_DATA_KEYS: ") and said in message
    assert "not-a-key" not in message and NEW not in message


def test_development_derives_a_stable_key_from_the_secret_key() -> None:
    first = load_config(environ={"LTI_TOOL_SECRET_KEY": "x" * 40})["data_keys"]
    assert first == load_config(environ={"LTI_TOOL_SECRET_KEY": "x" * 40})["data_keys"]
    assert first != load_config(environ={"LTI_TOOL_SECRET_KEY": "y" * 40})["data_keys"]
    assert load_config(environ={"LTI_TOOL_DATA_KEYS": OLD})["data_keys"] == (OLD,)
    KeyRing(first).open(KeyRing(first).seal("works"))


PLAIN_PEM = (
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAAS\n-----END PRIVATE KEY-----\n"
)
DEV_PEM = (
    "-----BEGIN PRIVATE KEY-----\nMIIEdevplatformkeyAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n"
)


def insert_plaintext_rows(connection: sa.Connection) -> None:
    """Rows as the release before sealing wrote them."""
    now = dt.datetime(2026, 1, 1)
    tool_keys = sa.table(
        "lti_tool_keys",
        *(sa.column(name) for name in ("id", "kid", "private_key_pem", "active")),
        sa.column("public_jwk", sa.JSON),
        sa.column("created_at"),
        sa.column("updated_at"),
    )
    registrations = sa.table(
        "lti_registrations",
        *(
            sa.column(name)
            for name in ("id", "lms", "issuer", "client_id", "auth_login_url")
            + ("auth_token_url", "key_set_url", "created_at", "updated_at")
        ),
        sa.column("settings", sa.JSON),
    )
    connection.execute(
        sa.insert(tool_keys).values(
            id=1,
            kid="k1",
            private_key_pem=PLAIN_PEM,
            active=True,
            public_jwk={"kty": "RSA"},
            created_at=now,
            updated_at=now,
        )
    )
    for id_, settings in (
        (1, {"development_platform": True, "kid": "dev", "private_key_pem": DEV_PEM}),
        (2, {"dynamic_registration": {"product_family_code": "moodle"}}),
    ):
        connection.execute(
            sa.insert(registrations).values(
                id=id_,
                lms="generic",
                issuer=f"https://lms{id_}.example",
                client_id="c",
                auth_login_url="https://l",
                auth_token_url="https://t",
                key_set_url="https://k",
                settings=settings,
                created_at=now,
                updated_at=now,
            )
        )


def settings_by_id(connection: sa.Connection) -> dict[int, dict[str, object]]:
    rows = connection.execute(sa.text("SELECT id, settings FROM lti_registrations ORDER BY id"))
    return {
        int(id_): value if isinstance(value, dict) else json.loads(value) for id_, value in rows
    }


def test_migration_seals_plaintext_rows_and_downgrade_opens_them(empty_database: str) -> None:
    app = make_app(empty_database, data_keys=OLD)
    ring = KeyRing((OLD,))
    with app.app_context():
        try:
            flask_migrate.upgrade(revision=BEFORE_SEALING)
            with db.engine.begin() as connection:
                insert_plaintext_rows(connection)

            flask_migrate.upgrade(revision=SEALING)
            with db.engine.connect() as connection:
                raw_key = connection.scalar(sa.text("SELECT private_key_pem FROM lti_tool_keys"))
                raw_dev = connection.scalars(
                    sa.text("SELECT platform_private_key_pem FROM lti_registrations ORDER BY id")
                ).all()
                settings = settings_by_id(connection)
            assert "PRIVATE KEY" not in raw_key and ring.open(raw_key) == PLAIN_PEM
            assert raw_dev[1] is None and ring.open(raw_dev[0]) == DEV_PEM
            assert settings == {
                1: {"development_platform": True, "kid": "dev"},
                2: {"dynamic_registration": {"product_family_code": "moodle"}},
            }

            database.upgrade()
            assert db.session.get(ToolKey, 1).private_key_pem == PLAIN_PEM  # type: ignore[union-attr]
            db.session.rollback()

            flask_migrate.downgrade(revision=BEFORE_SEALING)
            with db.engine.connect() as connection:
                assert stored("SELECT private_key_pem FROM lti_tool_keys") == [PLAIN_PEM]
                assert settings_by_id(connection)[1] == {
                    "development_platform": True,
                    "kid": "dev",
                    "private_key_pem": DEV_PEM,
                }
                columns = {
                    c["name"] for c in sa.inspect(connection).get_columns("lti_registrations")
                }
            assert "platform_private_key_pem" not in columns
        finally:
            db.session.remove()
            db.engine.dispose()
