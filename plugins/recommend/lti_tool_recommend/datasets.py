"""Interaction data sets for offline evaluation, as a learner x item matrix of positives.

``movielens-100k`` is read from the copy of MovieLens-100k that ships inside the ``recbole``
wheel (installed without its dependencies; its code is never imported). Every rating counts
as a positive, as LightFM's own MovieLens examples do. A CSV file in the import format
(``learner_external_id,tutor_external_id,weight,timestamp``) works the same way, its weights
summed per pair.
"""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

MOVIELENS = "movielens-100k"


class DatasetError(Exception):
    """The data set cannot be found or read."""


@dataclass
class Dataset:
    name: str
    matrix: sp.csr_matrix
    """Learners in rows, items in columns; every stored entry is a positive."""

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape


def movielens_path() -> Path:
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError(
            "MovieLens-100k comes with the recbole wheel: "
            "pip install --no-deps recbole==1.2.1 (make install does this)"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "dataset_example" / "ml-100k" / "ml-100k.inter"
    if not path.is_file():
        raise DatasetError(f"no MovieLens-100k ratings at {path}")
    return path


def _matrix(pairs: Iterable[tuple[str, str]], name: str) -> Dataset:
    users: dict[str, int] = {}
    items: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for user, item in pairs:
        rows.append(users.setdefault(user, len(users)))
        cols.append(items.setdefault(item, len(items)))
    if not rows:
        raise DatasetError(f"{name} holds no interactions")
    data = np.ones(len(rows), dtype=np.float32)
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(len(users), len(items)))
    matrix.data[:] = 1.0  # a pair seen twice is still one positive
    return Dataset(name, matrix)


def load_movielens() -> Dataset:
    path = movielens_path()
    with path.open(encoding="utf-8") as stream:
        lines = iter(stream)
        header = next(lines, "").rstrip("\n").split("\t")
        if header[:2] != ["user_id:token", "item_id:token"]:
            raise DatasetError(f"{path}: unexpected header {header!r}")
        pairs = [tuple(line.split("\t", 2)[:2]) for line in lines if line.strip()]
    return _matrix(((user, item) for user, item in pairs), "MovieLens-100k")


def load_csv(path: Path) -> Dataset:
    """Pairs with a positive summed weight become positives."""
    weights: dict[tuple[str, str], float] = {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            reader = csv.reader(stream)
            next(reader, None)
            for line, cells in enumerate(reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != 4:
                    raise DatasetError(f"{path}: line {line}: expected 4 cells, got {len(cells)}")
                try:
                    weight = float(cells[2])
                except ValueError:
                    raise DatasetError(f"{path}: line {line}: bad weight {cells[2]!r}") from None
                key = (cells[0].strip(), cells[1].strip())
                weights[key] = weights.get(key, 0.0) + weight
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from None
    return _matrix((pair for pair, weight in weights.items() if weight > 0), path.name)


def load(name: str) -> Dataset:
    if name.lower() == MOVIELENS:
        return load_movielens()
    return load_csv(Path(name))
