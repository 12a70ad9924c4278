"""Offline evaluation: the model against a popularity ranking and a random one.

Interactions are split at random (fixed seed) into train and test. Every ranking is judged on
the test positives of each learner with at least one, ranked among the items that learner
did not have in train, with LightFM's definitions: an item's rank counts the other
candidates scored at least as high (ties count against it); precision@k and recall@k count
test positives ranked below k; AUC is the share of negatives ranked below each positive. The
model is scored by LightFM's own evaluation functions, the baselines by :func:`rank_test_items`
with the same definitions.
"""

from __future__ import annotations

import time
import typing as t
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

import numpy as np
import scipy.sparse as sp

from lti_tool_recommend.datasets import Dataset
from lti_tool_recommend.training import Progress
from lti_tool_recommend.training import TrainingParams
from lti_tool_recommend.training import fit_epochs
from lti_tool_recommend.training import new_lightfm

#: Tuned on MovieLens-100k (all ratings positive, 80/20 split).
EVALUATION_PARAMS = TrainingParams(components=48, epochs=50, learning_rate=0.03, threads=1)
CURVE_K = 20
ScoreBlock = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Split:
    train: sp.csr_matrix
    test: sp.csr_matrix


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    auc: float


@dataclass
class Report:
    dataset: str
    shape: tuple[int, int]
    train_size: int
    test_size: int
    k: int
    seed: int
    params: TrainingParams
    rows: dict[str, Scores] = field(default_factory=dict)
    curves: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0


def split(matrix: sp.csr_matrix, test_share: float, seed: int) -> Split:
    """Each positive goes to test with probability *test_share*, by a seeded shuffle."""
    pairs = matrix.tocoo()
    order = np.random.default_rng(seed).permutation(pairs.nnz)
    cut = int(round(pairs.nnz * (1 - test_share)))

    def part(chosen: np.ndarray) -> sp.csr_matrix:
        data = np.ones(len(chosen), dtype=np.float32)
        return sp.csr_matrix((data, (pairs.row[chosen], pairs.col[chosen])), shape=matrix.shape)

    return Split(part(order[:cut]), part(order[cut:]))


def rank_test_items(score_block: ScoreBlock, data: Split, block: int = 256) -> sp.csr_matrix:
    """Rank of every test positive among its learner's non-train items, shaped like test.

    :param score_block: scores of all items for an array of learner rows.
    """
    train, test = data.train, data.test
    items = test.shape[1]
    ranks = np.zeros(test.nnz, dtype=np.float32)
    for first in range(0, test.shape[0], block):
        users = np.arange(first, min(first + block, test.shape[0]))
        values = np.array(score_block(users), dtype=np.float64)
        rows, cols = train[users].nonzero()
        values[rows, cols] = -np.inf  # train items are not candidates
        ordered = np.sort(values, axis=1)
        for local, user in enumerate(users):
            start, stop = test.indptr[user], test.indptr[user + 1]
            own = values[local, test.indices[start:stop]]
            at_least = items - np.searchsorted(ordered[local], own, side="left")
            ranks[start:stop] = at_least - 1  # the item itself is not ahead of itself
    return sp.csr_matrix((ranks, test.indices.copy(), test.indptr.copy()), shape=test.shape)


def _with_tests(per_user: np.ndarray, test: sp.csr_matrix) -> np.ndarray:
    kept: np.ndarray = per_user[test.getnnz(axis=1) > 0]
    return kept


def precision_at(ranks: sp.csr_matrix, test: sp.csr_matrix, k: int) -> np.ndarray:
    hits = sp.csr_matrix(((ranks.data < k).astype(np.float32), ranks.indices, ranks.indptr))
    return _with_tests(np.asarray(hits.sum(axis=1)).ravel() / k, test)


def recall_at(ranks: sp.csr_matrix, test: sp.csr_matrix, k: int) -> np.ndarray:
    hits = sp.csr_matrix(((ranks.data < k).astype(np.float32), ranks.indices, ranks.indptr))
    positives = np.maximum(test.getnnz(axis=1), 1)
    return _with_tests(np.asarray(hits.sum(axis=1)).ravel() / positives, test)


def auc_from_ranks(ranks: sp.csr_matrix, data: Split) -> np.ndarray:
    """Per learner, the mean over test positives of the share of negatives ranked below it;
    a positive's rank is first reduced by the test positives ahead of it."""
    items = ranks.shape[1]
    in_train = data.train.getnnz(axis=1)
    result = np.full(ranks.shape[0], 0.5)
    for user in range(ranks.shape[0]):
        start, stop = ranks.indptr[user], ranks.indptr[user + 1]
        negatives = items - (stop - start) - in_train[user]
        if stop == start or negatives <= 0:
            continue
        ahead = np.sort(ranks.data[start:stop]) - np.arange(stop - start)
        result[user] = np.mean(1.0 - np.maximum(ahead, 0) / negatives)
    return _with_tests(result, data.test)


def _baseline(ranks: sp.csr_matrix, data: Split, k: int) -> tuple[Scores, list[float]]:
    curve = [float(precision_at(ranks, data.test, n).mean()) for n in range(1, CURVE_K + 1)]
    scores = Scores(
        precision=float(precision_at(ranks, data.test, k).mean()),
        recall=float(recall_at(ranks, data.test, k).mean()),
        auc=float(auc_from_ranks(ranks, data).mean()),
    )
    return scores, curve


def evaluate(
    dataset: Dataset,
    k: int = 10,
    seed: int = 42,
    params: TrainingParams = EVALUATION_PARAMS,
    test_share: float = 0.2,
    progress: Progress | None = None,
) -> Report:
    """Train on the train part, then score the model and both baselines on the test part."""
    from lightfm.evaluation import auc_score
    from lightfm.evaluation import precision_at_k
    from lightfm.evaluation import recall_at_k

    started = time.perf_counter()
    data = split(dataset.matrix, test_share, seed)
    report = Report(dataset.name, dataset.shape, data.train.nnz, data.test.nnz, k, seed, params)
    model = new_lightfm(params)
    fit_epochs(model, data.train.tocoo(), params, progress)
    threads = params.threads
    common: dict[str, t.Any] = {"train_interactions": data.train, "num_threads": threads}
    report.rows["model (LightFM WARP)"] = Scores(
        precision=float(precision_at_k(model, data.test, k=k, **common).mean()),
        recall=float(recall_at_k(model, data.test, k=k, **common).mean()),
        auc=float(auc_score(model, data.test, **common).mean()),
    )
    model_ranks = model.predict_rank(data.test, **common)
    report.curves["model (LightFM WARP)"] = [
        float(precision_at(model_ranks, data.test, n).mean()) for n in range(1, CURVE_K + 1)
    ]
    counts = data.train.getnnz(axis=0).astype(np.float64)
    popular = rank_test_items(lambda users: np.tile(counts, (len(users), 1)), data)
    report.rows["popularity"], report.curves["popularity"] = _baseline(popular, data, k)
    rng = np.random.default_rng(seed + 1)
    shuffled = rank_test_items(lambda users: rng.random((len(users), dataset.shape[1])), data)
    report.rows["random"], report.curves["random"] = _baseline(shuffled, data, k)
    report.seconds = time.perf_counter() - started
    return report


def format_table(report: Report) -> str:
    k = report.k
    lines = [
        f"{report.dataset}: {report.shape[0]:,} learners, {report.shape[1]:,} items; "
        f"{report.train_size:,} train / {report.test_size:,} test positives (seed {report.seed})",
        f"model: {report.params.components} components, {report.params.epochs} epochs, "
        f"learning rate {report.params.learning_rate:g}",
        "",
        f"{'ranking':<22}{f'precision@{k}':>14}{f'recall@{k}':>12}{'AUC':>9}",
    ]
    for name, scores in report.rows.items():
        lines.append(f"{name:<22}{scores.precision:>14.4f}{scores.recall:>12.4f}{scores.auc:>9.4f}")
    model, popular = report.rows["model (LightFM WARP)"], report.rows["popularity"]
    ratio = model.precision / popular.precision if popular.precision else float("inf")
    lines += ["", f"model / popularity, precision@{k}: {ratio:.2f}x ({report.seconds:.1f} s)"]
    return "\n".join(lines)


def plot(report: Report, path: str) -> None:
    """Precision@k for k = 1..20 of every ranking, as a PNG."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), dpi=120)
    axes = figure.subplots()
    ks = list(range(1, CURVE_K + 1))
    for name, curve in report.curves.items():
        axes.plot(ks, curve, marker="o", markersize=3, label=name)
    axes.set_xlabel("k")
    axes.set_ylabel("precision@k")
    axes.set_xticks(ks)
    axes.set_title(f"{report.dataset}: precision@k on held-out positives")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, format="png")
