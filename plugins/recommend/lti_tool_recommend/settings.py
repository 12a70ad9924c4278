"""The plugin's settings: a ``[plugins.recommend]`` table in the tool's TOML file.

Every key is optional, and each may also come from an ``LTI_TOOL_RECOMMEND_<KEY>`` environment
variable (``LTI_TOOL_RECOMMEND_MODEL_PATH``, ...), which wins over the file, the way the core's
environment variables win over its file.
"""

from __future__ import annotations

import os
import typing as t
from dataclasses import dataclass
from dataclasses import fields
from pathlib import Path

from flask import Flask

from lti_tool.api import ConfigError
from lti_tool.api import plugin_settings

ENV_MODEL_PATH = "LTI_TOOL_RECOMMEND_MODEL_PATH"
DEFAULT_MODEL_FILE = "recommend/model.npz"


class SettingsError(ConfigError):
    """A ``[plugins.recommend]`` value the plugin cannot use; the message names the key.

    A :class:`ConfigError`, so start-up stops with this one message as for the core's own.
    """


@dataclass(frozen=True)
class Settings:
    model_path: Path
    """Where the trained model lives; relative paths are inside the instance folder."""
    reload_seconds: float = 30.0
    """A running server looks at the model file's modification time at most this often."""
    retrain_after: int = 20
    """Completed sessions since the last training that make a retrain due."""
    components: int = 32
    epochs: int = 40
    learning_rate: float = 0.05
    seed: int = 7
    threads: int = 1
    """Training threads; one keeps a training run reproducible for a given seed."""
    reason_days: int = 14
    """How far ahead a reason looks for the next free slot."""

    @property
    def flag_path(self) -> Path:
        """The file whose presence says a retrain is due."""
        return self.model_path.with_name(self.model_path.name + ".retrain-due")


def _number(key: str, value: t.Any, kind: type[int] | type[float], low: float) -> t.Any:
    whole = kind is int and isinstance(value, float) and not value.is_integer()
    if whole or isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SettingsError(f"plugins.recommend.{key}: expected a number, got {value!r}")
    try:
        number = kind(value)
    except ValueError:
        raise SettingsError(f"plugins.recommend.{key}: expected a number, got {value!r}") from None
    if number < low:
        raise SettingsError(f"plugins.recommend.{key}: must be at least {low}, got {value!r}")
    return number


def read_settings(app: Flask) -> Settings:
    """The settings of *app*, checked.

    :raises SettingsError: naming the first key that is unknown or has a wrong value.
    """
    try:
        table = plugin_settings(app, "recommend")
    except ConfigError as exc:
        raise SettingsError(str(exc)) from None
    known = {field.name: field for field in fields(Settings)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise SettingsError(f"plugins.recommend.{unknown[0]}: not a setting of this plugin")
    values: dict[str, t.Any] = {}
    for key, value in table.items():
        if key == "model_path":
            continue
        kind: type[int] | type[float] = int
        low: float = 0 if key in ("reload_seconds", "seed", "retrain_after") else 1
        if key in ("reload_seconds", "learning_rate"):
            kind = float
        if key == "learning_rate":
            low = 1e-6
        values[key] = _number(key, value, kind, low)
    raw_path = table.get("model_path") or DEFAULT_MODEL_FILE
    if not isinstance(raw_path, str | os.PathLike):
        raise SettingsError(f"plugins.recommend.model_path: expected a path, got {raw_path!r}")
    path = Path(raw_path).expanduser()
    if not path.is_absolute():
        path = Path(app.instance_path) / path
    return Settings(model_path=path, **values)
