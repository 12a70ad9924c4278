"""A trained model as plain arrays: what serving needs, saved without pickle.

The file is a NumPy ``.npz`` archive read with ``allow_pickle=False``, so loading a file
cannot run code. Tutors known at training time have their representation precomputed; any
other tutor (or learner) is represented from its feature names on the fly.
"""

from __future__ import annotations

import json
import os
import tempfile
import typing as t
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lti_tool_recommend.features import Vocabulary

#: Bumped whenever the arrays or their meaning change; an older file is refused.
FORMAT = 1
_ARRAYS = (
    "learner_vocab",
    "tutor_vocab",
    "learner_embeddings",
    "learner_biases",
    "tutor_embeddings",
    "tutor_biases",
    "tutor_ids",
    "tutor_vectors",
    "tutor_offsets",
)


class ModelFileError(Exception):
    """The model file is missing pieces, from another format, or not a model at all."""


@dataclass
class TrainedModel:
    meta: dict[str, t.Any]
    """``format``, ``version``, ``trained_at``, ``database``, ``params`` and ``summary``."""
    learner_vocab: Vocabulary
    tutor_vocab: Vocabulary
    learner_embeddings: np.ndarray
    learner_biases: np.ndarray
    tutor_embeddings: np.ndarray
    tutor_biases: np.ndarray
    tutor_ids: np.ndarray
    tutor_vectors: np.ndarray
    """Representation of each tutor in ``tutor_ids``, as of training."""
    tutor_offsets: np.ndarray
    """Bias of each tutor in ``tutor_ids``: how much everyone likes them, all else equal."""

    def __post_init__(self) -> None:
        self.tutor_row = {int(tid): i for i, tid in enumerate(self.tutor_ids)}

    @property
    def components(self) -> int:
        return int(self.tutor_embeddings.shape[1])

    def learner_vector(self, names: Sequence[str]) -> np.ndarray:
        """The learner's representation; its bias is left out as it ranks nobody higher.

        The same weighting as :meth:`Vocabulary.matrix`, without building a sparse matrix
        for a single row: on a request path that is most of the time spent.
        """
        distinct = set(names)
        rows = [self.learner_vocab.index[n] for n in distinct if n in self.learner_vocab.index]
        if not rows:
            return np.zeros(self.components, dtype=np.float32)
        total: np.ndarray = self.learner_embeddings[rows].sum(axis=0, dtype=np.float32)
        return total / np.float32(len(distinct))

    def tutor_representations(self, rows: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, offsets) of tutors described by feature names."""
        matrix = self.tutor_vocab.matrix(rows)
        vectors = np.asarray(matrix @ self.tutor_embeddings, dtype=np.float32)
        offsets = np.asarray(matrix @ self.tutor_biases, dtype=np.float32).ravel()
        return vectors, offsets

    def save(self, path: Path) -> None:
        """Write to a temporary file beside *path* and swap it in, so a reader sees the old
        model or the new one, never half of one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            # mkstemp makes the file private; a server running as another user must read it.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
            with os.fdopen(handle, "wb") as stream:
                np.savez(
                    stream,
                    meta=np.array(json.dumps(self.meta)),
                    learner_vocab=np.array(self.learner_vocab.names, dtype=str),
                    tutor_vocab=np.array(self.tutor_vocab.names, dtype=str),
                    learner_embeddings=self.learner_embeddings,
                    learner_biases=self.learner_biases,
                    tutor_embeddings=self.tutor_embeddings,
                    tutor_biases=self.tutor_biases,
                    tutor_ids=self.tutor_ids,
                    tutor_vectors=self.tutor_vectors,
                    tutor_offsets=self.tutor_offsets,
                )
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> TrainedModel:
        """:raises ModelFileError: saying what is wrong with the file.
        :raises FileNotFoundError: there is no file."""
        try:
            # Opened here so the file is closed even when NumPy gives up on a damaged archive.
            with path.open("rb") as stream, np.load(stream, allow_pickle=False) as archive:
                missing = [name for name in ("meta", *_ARRAYS) if name not in archive.files]
                if missing:
                    raise ModelFileError(f"{path}: no {', '.join(missing)} in the archive")
                meta = json.loads(str(archive["meta"]))
                arrays = {name: archive[name] for name in _ARRAYS}
        except FileNotFoundError:
            raise
        except ModelFileError:
            raise
        except Exception as exc:  # a damaged archive fails in zipfile, numpy or json
            raise ModelFileError(f"{path}: not a readable model ({type(exc).__name__})") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise ModelFileError(f"{path}: model format {found!r}, this plugin reads {FORMAT}")
        model = cls(
            meta=meta,
            learner_vocab=Vocabulary(str(name) for name in arrays.pop("learner_vocab")),
            tutor_vocab=Vocabulary(str(name) for name in arrays.pop("tutor_vocab")),
            **{name: np.asarray(value) for name, value in arrays.items()},
        )
        try:
            model.check()
        except ModelFileError as exc:
            raise ModelFileError(f"{path}: {exc}") from None
        return model

    def check(self) -> None:
        """:raises ModelFileError: the arrays do not fit together."""
        d = self.tutor_embeddings.shape[-1] if self.tutor_embeddings.ndim == 2 else -1
        expected = {
            "learner_embeddings": (len(self.learner_vocab), d),
            "learner_biases": (len(self.learner_vocab),),
            "tutor_embeddings": (len(self.tutor_vocab), d),
            "tutor_biases": (len(self.tutor_vocab),),
            "tutor_vectors": (len(self.tutor_ids), d),
            "tutor_offsets": (len(self.tutor_ids),),
        }
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ModelFileError(f"{name} has shape {getattr(self, name).shape}, not {shape}")
        for name in expected:
            if not np.all(np.isfinite(getattr(self, name))):
                raise ModelFileError(f"{name} holds values that are not finite numbers")
