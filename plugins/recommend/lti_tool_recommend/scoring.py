"""Ranking with precomputed representations: one matrix-vector product and a partial sort."""

from __future__ import annotations

import numpy as np


def scores(learner: np.ndarray, vectors: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Score of every tutor row for one learner (the learner's own bias changes no order)."""
    result: np.ndarray = vectors @ learner + offsets
    return result


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the *k* highest values, highest first.

    ``argpartition`` finds the k best in linear time; only those k are then sorted.
    """
    count = len(values)
    if k <= 0 or count == 0:
        return np.empty(0, dtype=np.intp)
    if k >= count:
        return np.argsort(-values, kind="stable")
    best = np.argpartition(-values, k - 1)[:k]
    return best[np.argsort(-values[best], kind="stable")]
