"""Recordings on disk: which belong to whom, and deleting them when their time is up.

The media worker names each file ``booking-<booking>-user-<user>-<time>.mp4``. A recording
shows both people of its booking, so erasing either of them deletes it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path

from flask import current_app

from lti_tool_video.settings import read_settings

_NAME = re.compile(r"booking-(\d+)-user-(\d+)-[^/]+\.mp4")


def _folder() -> Path:
    return read_settings(current_app).recordings_path(current_app)


def _recordings() -> Iterator[tuple[Path, int]]:
    """Every recording in the folder, with its booking's id."""
    folder = _folder()
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        match = _NAME.fullmatch(path.name)
        if match and path.is_file():
            yield path, int(match.group(1))


def recordings_of(booking_ids: Iterable[int]) -> list[Path]:
    """The recordings of these bookings, oldest name first."""
    wanted = set(booking_ids)
    return sorted(path for path, booking_id in _recordings() if booking_id in wanted)


def delete_recordings_of(booking_ids: Iterable[int]) -> int:
    """Delete the recordings of these bookings; how many were deleted."""
    deleted = 0
    for path in recordings_of(booking_ids):
        # Another process (a second erasure, the sweep) may have deleted it meanwhile.
        path.unlink(missing_ok=True)
        deleted += 1
    return deleted


def delete_expired_recordings(now: dt.datetime) -> int:
    """Delete recordings last written more than the retention period before *now*."""
    days = read_settings(current_app).recording_retention_days
    if not days:
        return 0
    cutoff = (now - dt.timedelta(days=days)).timestamp()
    deleted = 0
    for path, _ in _recordings():
        # The file's last write is the end of its recording: the worker appends until then.
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
