"""Features, the model file and the plugin's settings, without a trained site."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from lti_tool_recommend.features import Vocabulary
from lti_tool_recommend.features import price_band
from lti_tool_recommend.features import rating_band
from lti_tool_recommend.features import tz_band
from lti_tool_recommend.model import ModelFileError
from lti_tool_recommend.model import TrainedModel
from lti_tool_recommend.settings import ENV_MODEL_PATH
from lti_tool_recommend.store import plugin_state

from lti_tool.config import ConfigError
from lti_tool.testing import make_test_app as make_app

WINTER = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 15, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("zone", "at", "band"),
    [
        ("UTC", WINTER, "tz:+0"),
        ("Europe/Madrid", WINTER, "tz:+0"),
        ("Asia/Kolkata", WINTER, "tz:+3"),
        ("America/New_York", WINTER, "tz:-6"),
        ("America/New_York", SUMMER, "tz:-6"),
        ("America/Sao_Paulo", SUMMER, "tz:-3"),
        ("Pacific/Kiritimati", WINTER, "tz:+12"),
        ("Not/A_Zone", WINTER, None),
        (None, WINTER, None),
    ],
)
def test_timezone_band_is_the_utc_offset_in_three_hour_steps(
    zone: str | None, at: dt.datetime, band: str | None
) -> None:
    assert tz_band(zone, at) == band


def test_price_and_rating_bands() -> None:
    assert [price_band(c) for c in (0, 1499, 1500, 4999, 7999, 8000, 50000)] == [
        "price:0",
        "price:0",
        "price:1",
        "price:2",
        "price:3",
        "price:4",
        "price:4",
    ]
    assert rating_band(None, 0) == rating_band(5.0, 2) == "rating:new"
    assert [rating_band(r, 10) for r in (4.8, 4.0, 2.9)] == [
        "rating:high",
        "rating:good",
        "rating:low",
    ]


def test_unknown_names_keep_their_share_of_the_weight() -> None:
    vocab = Vocabulary(["a", "b", "c"])

    matrix = vocab.matrix([["a", "b"], ["a", "new"], [], ["c", "c"]]).toarray()

    np.testing.assert_allclose(
        matrix, [[0.5, 0.5, 0], [0.5, 0, 0], [0, 0, 0], [0, 0, 1]], rtol=1e-6
    )


def small_model() -> TrainedModel:
    rng = np.random.default_rng(0)
    learners, tutors = Vocabulary(["id:u1", "lang:es", "want:x"]), Vocabulary(["id:t1", "lang:es"])
    return TrainedModel(
        meta={"format": 1, "version": "0", "trained_at": "2026-01-01T00:00:00+00:00"},
        learner_vocab=learners,
        tutor_vocab=tutors,
        learner_embeddings=rng.normal(size=(3, 4)).astype(np.float32),
        learner_biases=np.zeros(3, dtype=np.float32),
        tutor_embeddings=rng.normal(size=(2, 4)).astype(np.float32),
        tutor_biases=np.ones(2, dtype=np.float32),
        tutor_ids=np.array([7], dtype=np.int64),
        tutor_vectors=rng.normal(size=(1, 4)).astype(np.float32),
        tutor_offsets=np.zeros(1, dtype=np.float32),
    )


def test_learner_vector_weights_names_like_the_training_matrix() -> None:
    model = small_model()
    names = ["id:u1", "lang:es", "want:unknown"]

    expected = model.learner_vocab.matrix([names]) @ model.learner_embeddings

    np.testing.assert_allclose(model.learner_vector(names), np.ravel(expected), rtol=1e-6)
    assert not model.learner_vector(["nothing:known"]).any()


def test_model_file_round_trip_and_refusals(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    model = small_model()
    model.save(path)

    loaded = TrainedModel.load(path)

    assert loaded.meta == model.meta
    assert loaded.learner_vocab.names == model.learner_vocab.names
    assert loaded.tutor_row == {7: 0}
    np.testing.assert_array_equal(loaded.tutor_vectors, model.tutor_vectors)

    model.meta["format"] = 99
    model.save(path)
    with pytest.raises(ModelFileError, match="format 99"):
        TrainedModel.load(path)

    model.meta["format"] = 1
    model.tutor_offsets = np.zeros(3, dtype=np.float32)
    model.save(path)
    with pytest.raises(ModelFileError, match="tutor_offsets has shape"):
        TrainedModel.load(path)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"epochs": "many"}, "plugins.recommend.epochs: expected a number"),
        ({"components": 0}, "plugins.recommend.components: must be at least 1"),
        ({"modle_path": "x"}, "plugins.recommend.modle_path: not a setting"),
    ],
)
def test_a_wrong_setting_stops_start_up_naming_it(
    sqlite_url: str, table: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        make_app(sqlite_url, plugins={"recommend": table})


def test_model_path_from_the_environment_wins_over_the_setting(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_MODEL_PATH, str(tmp_path / "env.npz"))
    app = make_app(sqlite_url, plugins={"recommend": {"model_path": "relative.npz"}})
    assert plugin_state(app).settings.model_path == tmp_path / "env.npz"

    monkeypatch.delenv(ENV_MODEL_PATH)
    app = make_app(sqlite_url, plugins={"recommend": {"model_path": "relative.npz"}})
    assert plugin_state(app).settings.model_path == Path(app.instance_path) / "relative.npz"
