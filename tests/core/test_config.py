from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from lti_tool.config import DEVELOPMENT_SECRET_KEY
from lti_tool.config import ConfigError
from lti_tool.config import load_config


def test_defaults_load_in_development() -> None:
    config = load_config(environ={})
    assert config["mode"] == "development"
    assert config["secret_key"] == DEVELOPMENT_SECRET_KEY
    assert config["database_url"].startswith("sqlite:///")


def test_layers_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config_file = tmp_path / "site.toml"
    config_file.write_text(
        'currency = "eur"\nhold_minutes = 15\nbase_url = "https://file.example"\n'
    )
    environ = {"LTI_TOOL_CONFIG": str(config_file), "LTI_TOOL_HOLD_MINUTES": "20"}
    config = load_config({"base_url": "https://tutor.example/"}, environ=environ)
    assert config["currency"] == "eur"
    assert config["hold_minutes"] == 20
    assert config["base_url"] == "https://tutor.example"


def test_bare_postgresql_url_uses_the_shipped_driver() -> None:
    config = load_config(environ={"LTI_TOOL_DATABASE_URL": "postgresql://u@db/tool"})
    assert config["database_url"] == "postgresql+psycopg://u@db/tool"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("LTI_TOOL_DATABASE_URL", "not a url at all", "cannot parse"),
        ("LTI_TOOL_DATABASE_URL", "mysql://x@y/z", "unsupported database"),
        ("LTI_TOOL_REDIS_URL", "localhost:6379", "Redis URL"),
        ("LTI_TOOL_HOLD_MINUTES", "soon", "whole number"),
        ("LTI_TOOL_ASYNC_MODE", "tornado", "one of"),
        ("LTI_TOOL_BASE_URL", "tutor.example", "http"),
        ("LTI_TOOL_CURRENCY", "dollars", "ISO 4217"),
    ],
)
def test_bad_value_names_the_setting(name: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(environ={name: value})
    assert name in str(excinfo.value)
    assert fragment in str(excinfo.value)


@pytest.mark.parametrize("code", ["xau", "abc", "ABC", "us"])
def test_currency_must_be_an_iso_4217_currency(code: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(environ={"LTI_TOOL_CURRENCY": code})
    message = str(excinfo.value)
    assert message.startswith("LTI_TOOL_CURRENCY: ")
    assert "ISO 4217" in message and "\n" not in message
    with pytest.raises(ConfigError, match=r"^currency \(create_app\(\)\): "):
        load_config({"currency": code}, environ={})


@pytest.mark.parametrize(("code", "stored"), [("jpy", "jpy"), (" KWD ", "kwd"), ("Huf", "huf")])
def test_currency_is_stored_lower_case(code: str, stored: str) -> None:
    assert load_config(environ={"LTI_TOOL_CURRENCY": code})["currency"] == stored


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LTI_TOOL_CONFIG"):
        load_config(environ={"LTI_TOOL_CONFIG": str(tmp_path / "absent.toml")})


@pytest.mark.parametrize("key", ["", DEVELOPMENT_SECRET_KEY, "short"])
def test_production_refuses_weak_secret(key: str) -> None:
    with pytest.raises(ConfigError, match="LTI_TOOL_SECRET_KEY"):
        load_config(environ={"LTI_TOOL_MODE": "production", "LTI_TOOL_SECRET_KEY": key})


def test_production_accepts_a_real_secret() -> None:
    key = "k" * 48
    data_key = Fernet.generate_key().decode()
    config = load_config(
        environ={
            "LTI_TOOL_MODE": "production",
            "LTI_TOOL_SECRET_KEY": key,
            "LTI_TOOL_DATA_KEYS": data_key,
        }
    )
    assert config["secret_key"] == key
    assert config["data_keys"] == (data_key,)


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("LTI_TOOL_DATABASE_URL", "::definitely not a database::", "LTI_TOOL_DATABASE_URL"),
        ("LTI_TOOL_CURRENCY", "XAU", "Error: LTI_TOOL_CURRENCY: 'XAU' is not an ISO 4217"),
    ],
)
def test_cli_exits_2_naming_the_bad_setting(
    venv_bin: Path, clean_env: dict[str, str], tmp_path: Path, name: str, value: str, said: str
) -> None:
    env = {**clean_env, name: value}
    result = subprocess.run(
        [str(venv_bin / "lti-tool"), "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert said in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_exits_nonzero_on_bad_setting(
    venv_bin: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**clean_env, "LTI_TOOL_MAX_CONNECTIONS": "-5"}
    result = subprocess.run(
        [str(venv_bin / "lti-tool"), "serve", "--port", "5999"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "LTI_TOOL_MAX_CONNECTIONS" in result.stderr
