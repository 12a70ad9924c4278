"""Without a usable model the core's popularity ranking answers; a new file is picked up."""

from __future__ import annotations

import logging
from pathlib import Path

import lti_tool_recommend
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from lti_tool_recommend.commands import recommend_group
from lti_tool_recommend.model import TrainedModel
from lti_tool_recommend.settings import Settings
from lti_tool_recommend.store import ModelStore
from lti_tool_recommend.store import plugin_state

from lti_tool.default_plugins.popularity import popular_tutors
from lti_tool.models import Subject
from lti_tool.models import db
from lti_tool.plugins import pm

from .conftest import Clock
from .world import World


def chemistry() -> Subject:
    return db.session.scalars(sa.select(Subject).where(Subject.slug == "chemistry")).one()


def hook_ids() -> list[int]:
    found = pm.hook.recommend_tutors(learner=None, subject=chemistry(), limit=8, filters={})
    return [tutor.id for tutor in found]


def popular_ids() -> list[int]:
    return [tutor.id for tutor in popular_tutors(chemistry(), 8, {})]


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "lti_tool_recommend" and r.levelno == logging.ERROR
    ]


def test_without_a_model_file_the_popularity_ranking_serves(
    app: Flask, world: World, model_path: Path
) -> None:
    assert not model_path.exists()
    answer = lti_tool_recommend.recommend_tutors(
        learner=None, subject=chemistry(), limit=8, filters={}
    )
    assert answer is None
    assert hook_ids() == popular_ids()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_model_is_logged_once_and_the_popularity_ranking_serves(
    app: Flask, trained: World, model_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    content = model_path.read_bytes()
    model_path.write_bytes(b"not a model" if damage == "garbage" else content[: len(content) // 2])
    caplog.set_level(logging.INFO, logger="lti_tool_recommend")

    first, second = hook_ids(), hook_ids()

    assert first == second == popular_ids()
    (record,) = errors(caplog)
    assert str(model_path) in record.getMessage()


def test_model_of_another_database_is_not_served(
    app: Flask, trained: World, model_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = TrainedModel.load(model_path)
    model.meta["database"] = "postgresql://elsewhere:5432/tutoring"
    model.save(model_path)

    assert hook_ids() == popular_ids()
    (record,) = errors(caplog)
    assert "elsewhere" in record.getMessage()


def test_a_retrained_model_replaces_the_served_one(
    app: Flask, trained: World, runner: FlaskCliRunner, clock: Clock
) -> None:
    store = plugin_state().store
    before = store.current()
    assert before is not None
    clock.now = clock.now.replace(minute=30)

    result = runner.invoke(recommend_group, ["train", "--epochs", "5"])

    assert result.exit_code == 0, result.output
    after = store.current()
    assert after is not None and after is not before
    assert after.meta["trained_at"] == clock.now.isoformat()
    assert after.meta["params"]["epochs"] == 5


def test_store_looks_at_the_file_at_most_every_reload_seconds(
    app: Flask, trained: World, model_path: Path, tmp_path: Path
) -> None:
    database = plugin_state().store.database
    store = ModelStore(Settings(model_path=model_path, reload_seconds=3600), database)
    assert store.current() is not None

    model_path.unlink()

    assert store.current() is not None  # not looked at again yet
    assert ModelStore(Settings(model_path=model_path, reload_seconds=0), database).current() is None
