"""Offline evaluation on MovieLens-100k, and the baselines' metrics against LightFM's own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from click.testing import CliRunner
from lti_tool_recommend.commands import recommend_group
from lti_tool_recommend.evaluation import Split
from lti_tool_recommend.evaluation import auc_from_ranks
from lti_tool_recommend.evaluation import precision_at
from lti_tool_recommend.evaluation import rank_test_items
from lti_tool_recommend.evaluation import recall_at
from lti_tool_recommend.evaluation import split
from lti_tool_recommend.training import TrainingParams
from lti_tool_recommend.training import fit_epochs
from lti_tool_recommend.training import new_lightfm

MODEL = "model (LightFM WARP)"


def test_movielens_model_beats_popularity_and_random(tmp_path: Path) -> None:
    plot = tmp_path / "precision.png"

    result = CliRunner().invoke(
        recommend_group,
        ["evaluate", "--dataset", "movielens-100k", "--json", "--plot", str(plot), "--seed", "7"],
    )

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    model, popular, random = rows[MODEL], rows["popularity"], rows["random"]
    assert model["auc"] >= 0.90
    assert model["precision"] >= 1.5 * popular["precision"]
    assert popular["precision"] > 5 * random["precision"]
    assert 0.45 < random["auc"] < 0.55
    assert plot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_baseline_metrics_match_lightfms_on_the_same_scores() -> None:
    """Ranking the model's own scores through the baseline code gives LightFM's figures."""
    from lightfm.evaluation import auc_score
    from lightfm.evaluation import precision_at_k
    from lightfm.evaluation import recall_at_k

    rng = np.random.default_rng(3)
    dense = rng.random((60, 80)) < np.linspace(0.02, 0.4, 80)  # some items far more popular
    data = split(sp.csr_matrix(dense.astype(np.float32)), 0.25, seed=1)
    model = new_lightfm(TrainingParams(components=8, epochs=5))
    fit_epochs(model, data.train.tocoo(), TrainingParams(components=8, epochs=5))
    item_bias, items = model.get_item_representations()
    user_bias, users = model.get_user_representations()

    def score(rows: np.ndarray) -> np.ndarray:
        return (users[rows] @ items.T + item_bias + user_bias[rows, None]).astype(np.float32)

    ranks = rank_test_items(score, data)
    theirs = model.predict_rank(data.test, train_interactions=data.train)
    common = {"train_interactions": data.train}

    assert np.mean(ranks.data == theirs.data) > 0.98
    assert (
        abs(
            precision_at(ranks, data.test, 5).mean()
            - precision_at_k(model, data.test, k=5, **common).mean()
        )
        < 0.01
    )
    assert (
        abs(
            recall_at(ranks, data.test, 5).mean()
            - recall_at_k(model, data.test, k=5, **common).mean()
        )
        < 0.01
    )
    assert (
        abs(auc_from_ranks(ranks, data).mean() - auc_score(model, data.test, **common).mean())
        < 0.005
    )


def test_split_is_seeded_and_disjoint() -> None:
    matrix = sp.random(50, 40, density=0.2, format="csr", random_state=0, dtype=np.float32)
    first, again = split(matrix, 0.2, seed=9), split(matrix, 0.2, seed=9)

    assert isinstance(first, Split)
    assert (first.test != again.test).nnz == 0
    assert first.train.multiply(first.test).nnz == 0
    assert first.train.nnz + first.test.nnz == matrix.nnz


def test_evaluate_reads_a_history_file_in_the_import_format(tmp_path: Path) -> None:
    """Learners in four groups, each favouring its own tutors: the model should see that."""
    rng = np.random.default_rng(5)
    lines = ["learner_external_id,tutor_external_id,weight,timestamp"]
    for learner in range(200):
        group = learner % 4
        for tutor in rng.choice(25, size=8, replace=False):
            lines.append(f"L{learner},T{group * 25 + tutor},1,2025-11-03T10:00:00Z")
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n")

    result = CliRunner().invoke(
        recommend_group, ["evaluate", "--dataset", str(path), "--json", "--epochs", "10"]
    )

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert rows[MODEL]["auc"] > rows["popularity"]["auc"] > 0.4
    assert rows[MODEL]["precision"] > 2 * rows["random"]["precision"]


def test_evaluate_names_a_missing_file() -> None:
    result = CliRunner().invoke(recommend_group, ["evaluate", "--dataset", "no/such.csv"])

    assert result.exit_code == 2
    assert "cannot read no/such.csv" in result.output
