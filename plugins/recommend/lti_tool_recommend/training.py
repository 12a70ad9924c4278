"""Fitting LightFM (WARP loss) to a training set and keeping what serving needs."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import time
import typing as t
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from lti_tool_recommend.data import TrainingSet
from lti_tool_recommend.features import Vocabulary
from lti_tool_recommend.model import FORMAT
from lti_tool_recommend.model import TrainedModel
from lti_tool_recommend.settings import Settings

if t.TYPE_CHECKING:  # pragma: no cover
    from lightfm import LightFM

Progress = Callable[[int], object]


class NothingToLearn(Exception):
    """No learner has any signal yet, so there is no model to train."""


@dataclass(frozen=True)
class TrainingParams:
    components: int = 32
    epochs: int = 40
    learning_rate: float = 0.05
    seed: int = 7
    threads: int = 1

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: t.Any) -> TrainingParams:
        values = {name: getattr(settings, name) for name in asdict(cls())}
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


def plugin_version() -> str:
    try:
        return importlib.metadata.version("lti-tool-recommend")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout
        return "0"


def new_lightfm(params: TrainingParams) -> LightFM:
    from lightfm import LightFM

    return LightFM(
        no_components=params.components,
        loss="warp",
        learning_rate=params.learning_rate,
        random_state=np.random.RandomState(params.seed),
    )


def fit_epochs(
    model: LightFM,
    interactions: sp.coo_matrix,
    params: TrainingParams,
    progress: Progress | None = None,
    **inputs: t.Any,
) -> None:
    """Run ``params.epochs`` epochs one at a time, reporting each to *progress*."""
    for _ in range(params.epochs):
        model.fit_partial(interactions, epochs=1, num_threads=params.threads, **inputs)
        if progress is not None:
            progress(1)


@dataclass
class Fitted:
    """A fitted LightFM model with the feature matrices it was fitted on."""

    lightfm: LightFM
    learner_vocab: Vocabulary
    tutor_vocab: Vocabulary
    learner_features: sp.csr_matrix
    tutor_features: sp.csr_matrix
    seconds: float


def fit(
    training_set: TrainingSet, params: TrainingParams, progress: Progress | None = None
) -> Fitted:
    """Fit a hybrid model: learners and tutors are each a sum of feature embeddings.

    :raises NothingToLearn: no learner-tutor pair has a signal.
    """
    if training_set.interactions.nnz == 0:
        raise NothingToLearn(
            "no learner has booked, favourited or been imported with a tutor yet; "
            "there is nothing to learn from"
        )
    learner_vocab = Vocabulary.of(training_set.learner_rows)
    tutor_vocab = Vocabulary.of(training_set.tutor_rows)
    learner_features = learner_vocab.matrix(training_set.learner_rows)
    tutor_features = tutor_vocab.matrix(training_set.tutor_rows)
    started = time.perf_counter()
    model = new_lightfm(params)
    fit_epochs(
        model,
        training_set.interactions,
        params,
        progress,
        user_features=learner_features,
        item_features=tutor_features,
        sample_weight=training_set.weights,
    )
    seconds = time.perf_counter() - started
    return Fitted(model, learner_vocab, tutor_vocab, learner_features, tutor_features, seconds)


def package(
    fitted: Fitted,
    training_set: TrainingSet,
    params: TrainingParams,
    trained_at: dt.datetime,
    database: str,
) -> TrainedModel:
    """Keep what serving needs, with tutors' representations precomputed."""
    model = fitted.lightfm
    tutor_embeddings = model.item_embeddings.astype(np.float32)
    tutor_biases = model.item_biases.astype(np.float32)
    meta = {
        "format": FORMAT,
        "version": plugin_version(),
        "lightfm": importlib.metadata.version("rectools-lightfm"),
        "trained_at": trained_at.astimezone(dt.UTC).isoformat(),
        "database": database,
        "params": asdict(params),
        "summary": {
            **training_set.summary,
            "learner_features": len(fitted.learner_vocab),
            "tutor_features": len(fitted.tutor_vocab),
            "seconds": round(fitted.seconds, 3),
        },
    }
    return TrainedModel(
        meta=meta,
        learner_vocab=fitted.learner_vocab,
        tutor_vocab=fitted.tutor_vocab,
        learner_embeddings=model.user_embeddings.astype(np.float32),
        learner_biases=model.user_biases.astype(np.float32),
        tutor_embeddings=tutor_embeddings,
        tutor_biases=tutor_biases,
        tutor_ids=np.asarray(training_set.tutor_ids, dtype=np.int64),
        tutor_vectors=np.asarray(fitted.tutor_features @ tutor_embeddings, dtype=np.float32),
        tutor_offsets=np.asarray(fitted.tutor_features @ tutor_biases, dtype=np.float32).ravel(),
    )


def train(
    training_set: TrainingSet,
    params: TrainingParams,
    trained_at: dt.datetime,
    database: str,
    progress: Progress | None = None,
) -> TrainedModel:
    """Fit and package in one step.

    :param trained_at: when the data was read; sessions completed after it count towards
        the next retrain.
    :param database: which database the ids belong to, so the model is never served from a
        different one.
    :raises NothingToLearn: no learner-tutor pair has a signal.
    """
    fitted = fit(training_set, params, progress)
    return package(fitted, training_set, params, trained_at, database)
