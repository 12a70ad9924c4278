"""The sending ladder, read from ``ladder.json``: the one definition the browser also loads.

The browser's optimizer walks the camera rungs with ``RTCRtpSender.setParameters``; the media
worker sizes what it sends by the same rungs and spaces its keyframe requests by
``keyframe.min_interval_ms``.
"""

from __future__ import annotations

import functools
import json
import typing as t
from dataclasses import dataclass
from pathlib import Path

# In the static folder: the browser loads this very file.
LADDER_FILE = Path(__file__).with_name("static") / "ladder.json"


class LadderError(ValueError):
    """``ladder.json`` does not describe a usable ladder; the message says where."""


@dataclass(frozen=True)
class Rung:
    name: str
    height: int
    """Target picture height; 0 keeps the source's (screen sharing)."""
    max_fps: int
    max_kbps: int
    min_kbps: int
    """The budget below which the optimizer leaves this rung."""


@dataclass(frozen=True)
class Ladder:
    raw: dict[str, t.Any]
    camera: tuple[Rung, ...]
    screen: tuple[Rung, ...]
    audio_reserve_kbps: int
    keyframe_min_interval_s: float

    def rung_for_budget(self, budget_kbps: float, screen: bool = False) -> Rung:
        """The best rung whose floor the budget clears; the last rung otherwise."""
        rungs = self.screen if screen else self.camera
        for rung in rungs:
            if budget_kbps >= rung.min_kbps:
                return rung
        return rungs[-1]


def _rungs(raw: dict[str, t.Any], key: str) -> tuple[Rung, ...]:
    items = raw.get(key)
    if not isinstance(items, list) or not items:
        raise LadderError(f"ladder.{key}: expected a non-empty list of rungs")
    rungs = []
    for index, item in enumerate(items):
        try:
            rung = Rung(
                name=str(item["name"]),
                height=int(item["height"]),
                max_fps=int(item["max_fps"]),
                max_kbps=int(item["max_kbps"]),
                min_kbps=int(item["min_kbps"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LadderError(f"ladder.{key}[{index}]: {exc!r}") from None
        if rung.max_fps <= 0 or rung.max_kbps <= rung.min_kbps:
            raise LadderError(f"ladder.{key}[{index}]: needs max_fps > 0, max_kbps > min_kbps")
        rungs.append(rung)
    for higher, lower in zip(rungs, rungs[1:], strict=False):
        # Each step down must cost less in every dimension, or the controller could climb
        # by stepping "down".
        if not (
            lower.max_kbps < higher.max_kbps
            and lower.min_kbps < higher.min_kbps
            and lower.max_fps <= higher.max_fps
            and lower.height <= higher.height
        ):
            raise LadderError(f"ladder.{key}: {lower.name!r} is not below {higher.name!r}")
    if rungs[-1].min_kbps != 0:
        raise LadderError(f"ladder.{key}: the last rung must have min_kbps 0")
    return tuple(rungs)


def parse_ladder(raw: dict[str, t.Any]) -> Ladder:
    try:
        reserve = int(raw["audio"]["reserve_kbps"])
        keyframe_ms = int(raw["keyframe"]["min_interval_ms"])
    except (KeyError, TypeError, ValueError) as exc:
        raise LadderError(f"ladder: {exc!r}") from None
    return Ladder(
        raw=raw,
        camera=_rungs(raw, "camera"),
        screen=_rungs(raw, "screen"),
        audio_reserve_kbps=reserve,
        keyframe_min_interval_s=keyframe_ms / 1000,
    )


@functools.cache
def load_ladder(path: Path = LADDER_FILE) -> Ladder:
    with path.open(encoding="utf-8") as handle:
        return parse_ladder(json.load(handle))
