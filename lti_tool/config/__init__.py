"""Layered configuration.

Settings come from ``default.toml`` beside this module, then from the TOML file named by
``LTI_TOOL_CONFIG``, then from ``LTI_TOOL_<NAME>`` environment variables, then from the mapping
given to :func:`lti_tool.app.create_app`. Every value is checked here, once, so a wrong value
stops start-up with a message that names the setting instead of failing later in a request.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy.engine
from sqlalchemy.exc import ArgumentError

from lti_tool import money
from lti_tool.outbound import parse_allow
from lti_tool.sealing import development_key
from lti_tool.sealing import parse_data_keys

ENV_PREFIX = "LTI_TOOL_"
DEFAULTS_FILE = Path(__file__).with_name("default.toml")
#: Used only in development mode, and refused in production.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-deploy"


class ConfigError(Exception):
    """A setting is missing or has a value the tool cannot use."""


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[Any], Any]

    @property
    def env_name(self) -> str:
        return ENV_PREFIX + self.name.upper()


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a whole number, got {value!r}") from None


def _positive_integer(value: Any) -> int:
    number = _integer(value)
    if number <= 0:
        raise ValueError(f"expected a number above zero, got {number}")
    return number


def _non_negative_integer(value: Any) -> int:
    number = _integer(value)
    if number < 0:
        raise ValueError(f"expected zero or more, got {number}")
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _choice(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = _string(value).strip().lower()
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return text

    return parse


def _database_url(value: Any) -> str:
    text = _string(value).strip()
    try:
        url = sqlalchemy.engine.make_url(text)
    except ArgumentError:
        raise ValueError(f"cannot parse {text!r} as a database URL") from None
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ValueError(
            f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql"
        )
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        # psycopg 3 is the driver we ship; a bare postgresql:// would look for psycopg2.
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _jobs_queue(value: Any) -> str:
    text = _string(value).strip()
    if text in ("", "memory", "redis") or (text.startswith("sqlite:") and len(text) > 7):
        return text
    raise ValueError(
        f"expected empty (Redis when redis_url is set, else a SQLite file beside the "
        f"database), memory, redis or sqlite:<path>; got {text!r}"
    )


def _redis_url(value: Any) -> str:
    text = _string(value).strip()
    if text and not text.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"cannot parse {text!r} as a Redis URL (redis://host:port/db)")
    return text


def _base_url(value: Any) -> str:
    text = _string(value).strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return text


def _port(value: Any) -> int:
    number = _integer(value)
    if not 1 <= number <= 65535:
        raise ValueError(f"expected a port from 1 to 65535, got {number}")
    return number


def _mail_from(value: Any) -> str:
    text = _string(value).strip()
    if "@" not in text:
        raise ValueError(f"expected an address like 'Tutors <tutors@example.org>', got {value!r}")
    return text


def _outbound_allow(value: Any) -> str:
    text = _string(value)
    hosts, networks = parse_allow(text)
    return ",".join([*sorted(hosts), *(str(network) for network in networks)])


def _currency(value: Any) -> str:
    # Lower case is how the code has always been stored with bookings and payments.
    return money.normalise(_string(value)).lower()


SETTINGS: tuple[Setting, ...] = (
    Setting("mode", _choice("development", "production")),
    Setting("database_url", _database_url),
    Setting("redis_url", _redis_url),
    Setting("trusted_proxies", _non_negative_integer),
    Setting("secret_key", _string),
    Setting("data_keys", parse_data_keys),
    Setting("base_url", _base_url),
    Setting("async_mode", _choice("eventlet", "gevent", "threading")),
    Setting("max_connections", _positive_integer),
    Setting("load_plugins", _string),
    Setting("currency", _currency),
    Setting("hold_minutes", _positive_integer),
    Setting("max_holds_per_learner", _positive_integer),
    Setting("cancel_cutoff_hours", _integer),
    Setting("realtime_diagnostics", _boolean),
    Setting("smtp_host", _string),
    Setting("smtp_port", _port),
    Setting("smtp_user", _string),
    Setting("smtp_password", _string),
    Setting("smtp_starttls", _boolean),
    Setting("mail_from", _mail_from),
    Setting("outbound_allow", _outbound_allow),
    Setting("mail_per_address_per_hour", _positive_integer),
    Setting("mail_per_client_per_hour", _positive_integer),
    Setting("bookings_per_user_per_hour", _positive_integer),
    Setting("calendar_token_rotations_per_user_per_hour", _positive_integer),
    Setting("lti_launches_per_client_per_minute", _positive_integer),
    Setting("bad_webhooks_per_client_per_minute", _positive_integer),
    Setting("session_lifetime_hours", _positive_integer),
    Setting("max_request_bytes", _positive_integer),
    Setting("chat_retention_days", _non_negative_integer),
    Setting("jobs_queue", _jobs_queue),
    Setting("jobs_lease_seconds", _positive_integer),
    Setting("metrics_token", _string),
)
_BY_NAME = {setting.name: setting for setting in SETTINGS}


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{label}: no such file {str(path)!r}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: {path} is not valid TOML ({exc})") from None


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return the checked settings, keyed by their lower-case names.

    Unknown keys in a file or in *overrides* pass through unchecked, so plugins can keep
    their own settings in the same file (``[plugins.<name>]`` tables).
    """
    environ = os.environ if environ is None else environ
    layers: list[tuple[str, Mapping[str, Any]]] = [
        (str(DEFAULTS_FILE), _read_toml(DEFAULTS_FILE, "defaults"))
    ]
    if file_name := environ.get(ENV_PREFIX + "CONFIG"):
        layers.append((file_name, _read_toml(Path(file_name), ENV_PREFIX + "CONFIG")))
    from_env = {
        setting.name: environ[setting.env_name]
        for setting in SETTINGS
        if setting.env_name in environ
    }
    layers.append(("environment", {k: v for k, v in from_env.items()}))
    if overrides:
        layers.append(("create_app()", {k.lower(): v for k, v in overrides.items()}))

    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for label, layer in layers:
        for key, value in layer.items():
            merged[key] = value
            origin[key] = label
    for name, setting in _BY_NAME.items():
        if name not in merged:
            raise ConfigError(f"{setting.env_name} is required and has no default")
        try:
            merged[name] = setting.parse(merged[name])
        except ValueError as exc:
            where = (
                setting.env_name if origin[name] == "environment" else f"{name} ({origin[name]})"
            )
            raise ConfigError(f"{where}: {exc}") from None
    _check_production(merged)
    return merged


def _check_production(config: dict[str, Any]) -> None:
    if config["mode"] == "development":
        config["secret_key"] = config["secret_key"] or DEVELOPMENT_SECRET_KEY
        # See development_key for why development may do without a data key of its own.
        config["data_keys"] = config["data_keys"] or (development_key(config["secret_key"]),)
        return
    key = config["secret_key"]
    if not key or key == DEVELOPMENT_SECRET_KEY or len(key) < 32:
        raise ConfigError(
            f"{_BY_NAME['secret_key'].env_name}: production mode needs a random secret key of at "
            "least 32 characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    if config["realtime_diagnostics"]:
        raise ConfigError(
            f"{_BY_NAME['realtime_diagnostics'].env_name}: test events cannot run in production"
        )
    if not config["data_keys"]:
        raise ConfigError(
            f"{_BY_NAME['data_keys'].env_name}: production mode needs a data key to seal the "
            "secrets kept in the database (python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        )
