"""What the model knows about a learner and a tutor, as named features.

A feature is a short string. Learners and tutors each have their own vocabulary, so
``lang:es`` of a learner and ``lang:es`` of a tutor are separate embeddings that training
pulls together when Spanish speakers book Spanish speakers. Identity features (``id:<n>``)
let a learner or tutor with a history move away from what their attributes alone predict;
someone the model has never seen is scored on attributes alone.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from collections.abc import Sequence
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

import numpy as np
import scipy.sparse as sp

#: Width of a timezone band in hours: near enough to share evenings, wide enough to learn.
TZ_BAND_HOURS = 3
#: Upper bounds of the price bands in cents per hour; above the last is the top band.
PRICE_BANDS = (1500, 3000, 5000, 8000)


def identity(kind: str, key: int | str) -> str:
    return f"id:{kind}{key}"


@functools.lru_cache(maxsize=512)
def _zone(name: str) -> dt.tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def tz_band(zone_name: str | None, at: dt.datetime) -> str | None:
    """``tz:+0`` for offsets in [0, 3) hours, ``tz:-3`` for [-3, 0), and so on."""
    zone = _zone(zone_name) if zone_name else None
    if zone is None:
        return None
    offset = at.astimezone(zone).utcoffset() or dt.timedelta()
    hours = offset.total_seconds() / 3600
    start = int(np.floor(hours / TZ_BAND_HOURS)) * TZ_BAND_HOURS
    return f"tz:{start:+d}"


def price_band(price_cents: int) -> str:
    for band, bound in enumerate(PRICE_BANDS):
        if price_cents < bound:
            return f"price:{band}"
    return f"price:{len(PRICE_BANDS)}"


def rating_band(average: float | None, count: int) -> str:
    # Two reviews say little; an unrated tutor is its own band, not a bad one.
    if average is None or count < 3:
        return "rating:new"
    if average >= 4.5:
        return "rating:high"
    if average >= 3.5:
        return "rating:good"
    return "rating:low"


def learner_features(
    interests: Iterable[tuple[str, str]],
    languages: Iterable[str],
    timezone: str | None,
    at: dt.datetime,
) -> list[str]:
    """Subjects wanted (with and without level), languages and timezone band."""
    names: list[str] = []
    for slug, level in interests:
        names.append(f"want:{slug}")
        if level and level != "all":
            names.append(f"want:{slug}:{level}")
    names.extend(f"lang:{code}" for code in languages)
    if band := tz_band(timezone, at):
        names.append(band)
    return list(dict.fromkeys(names))


def tutor_features(
    subjects: Iterable[tuple[str, str]],
    languages: Iterable[str],
    price_cents: int,
    timezone: str | None,
    rating: tuple[float | None, int],
    at: dt.datetime,
) -> list[str]:
    """Subjects taught (with and without level), languages, price, timezone and rating bands."""
    names: list[str] = []
    for slug, level in subjects:
        names.append(f"teaches:{slug}")
        if level and level != "all":
            names.append(f"teaches:{slug}:{level}")
    names.extend(f"lang:{code}" for code in languages)
    names.append(price_band(price_cents))
    if band := tz_band(timezone, at):
        names.append(band)
    names.append(rating_band(*rating))
    return list(dict.fromkeys(names))


class Vocabulary:
    """Feature names and their column numbers."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names: list[str] = list(dict.fromkeys(names))
        self.index = {name: i for i, name in enumerate(self.names)}

    def __len__(self) -> int:
        return len(self.names)

    @classmethod
    def of(cls, rows: Iterable[Sequence[str]]) -> Vocabulary:
        return cls(name for row in rows for name in row)

    def matrix(self, rows: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """One row per entity, each of its names weighted 1/(number of names).

        Normalising keeps someone with many attributes on the same scale as someone with few.
        A name the vocabulary has never seen (a newcomer's identity, a new subject) keeps its
        share of the weight but adds nothing, so a newcomer is scored like an average member
        with the same attributes rather than an amplified one.
        """
        indptr = [0]
        indices: list[int] = []
        shares: list[float] = []
        for row in rows:
            names = set(row)
            known = sorted({self.index[name] for name in names if name in self.index})
            indices.extend(known)
            shares.extend([1.0 / max(len(names), 1)] * len(known))
            indptr.append(len(indices))
        data = np.asarray(shares, dtype=np.float32)
        return sp.csr_matrix(
            (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int32)),
            shape=(len(rows), len(self)),
        )
