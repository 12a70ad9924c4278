from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from lti_tool_recommend.commands import recommend_group
from lti_tool_recommend.settings import ENV_MODEL_PATH
from lti_tool_recommend.store import EXTENSION

from .world import NOW
from .world import World
from .world import build


class Clock:
    """The application's clock, moved by tests."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    return tmp_path / "models" / "recommend.npz"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app(
    app: Flask, model_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The core's test app (SQLite and PostgreSQL) with this plugin's model in a temporary
    folder, looked at on every request, and a clock the tests control."""
    monkeypatch.delenv(ENV_MODEL_PATH, raising=False)
    app.config["PLUGINS"] = {
        "recommend": {
            "model_path": str(model_path),
            "reload_seconds": 0,
            "retrain_after": 2,
            "epochs": 30,
        }
    }
    app.extensions.pop(EXTENSION, None)  # settings are read again on first use
    app.config["CLOCK"] = clock
    yield app


@pytest.fixture
def world(app: Flask) -> World:
    return build()


@pytest.fixture
def trained(app: Flask, world: World, runner: FlaskCliRunner, model_path: Path) -> World:
    result = runner.invoke(recommend_group, ["train"])
    assert result.exit_code == 0, result.output
    assert model_path.exists()
    return world
