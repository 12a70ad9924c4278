"""Recordings are personal data: listed in an export, deleted with either person, and deleted
by the retention sweep once they are older than the plugin's retention period."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from flask import Flask
from lti_tool_video.settings import EXTENSION

from lti_tool.cli import cli
from lti_tool.models import User
from lti_tool.models import db
from tests.booking import install_clock

from .world import World


@pytest.fixture
def recordings(app: Flask, tmp_path: Path) -> Path:
    folder = tmp_path / "recordings"
    folder.mkdir()
    app.config["PLUGINS"] = {
        "video": {"recording": True, "worker_autostart": False, "recordings_dir": str(folder)}
    }
    app.extensions.pop(EXTENSION, None)
    return folder


def recording(folder: Path, booking_id: int, user_id: int, written: dt.datetime) -> Path:
    path = folder / f"booking-{booking_id}-user-{user_id}-{written:%Y%m%dT%H%M%S}.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    os.utime(path, (written.timestamp(), written.timestamp()))
    return path


def test_erasing_either_person_deletes_their_sessions_recordings(
    app: Flask, world: World, recordings: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    theirs = [
        recording(recordings, world.booking_id, world.learner_id, now),
        recording(recordings, world.booking_id, world.tutor_id, now),
    ]
    others = recording(recordings, world.other_booking_id, world.stranger_id, now)
    unrelated = recordings / "worker-7.log"
    unrelated.write_text("log")
    learner = db.session.get(User, world.learner_id)
    assert learner is not None and learner.email is not None
    runner = app.test_cli_runner()
    clock = install_clock(app, now)

    during = runner.invoke(cli, ["privacy", "erase", "--email", learner.email, "--yes"])
    clock.advance(hours=2)
    exported = runner.invoke(cli, ["privacy", "export", "--email", learner.email])
    erased = runner.invoke(
        cli, ["privacy", "erase", "--email", learner.email, "--yes", "--cancel-upcoming"]
    )
    again = runner.invoke(cli, ["privacy", "erase", "--user-id", str(world.learner_id), "--yes"])

    # Their session started five minutes ago: nobody is erased in the middle of one.
    assert during.exit_code == 1 and "in progress" in during.output
    assert exported.exit_code == 0, exported.output
    listed = json.loads(exported.output)["plugins"]["video"]["recordings"]
    assert sorted(listed) == sorted(path.name for path in theirs)
    assert erased.exit_code == 0, erased.output
    assert [path.exists() for path in theirs] == [False, False]
    # The stranger's session with the same tutor is not the erased learner's.
    assert others.exists() and unrelated.exists()
    assert again.exit_code == 0, again.output


def test_the_sweep_deletes_recordings_past_their_retention(
    app: Flask, world: World, recordings: Path
) -> None:
    clock = install_clock(app, dt.datetime(2030, 6, 1, 12, tzinfo=dt.UTC))
    old = recording(recordings, world.booking_id, world.learner_id, clock.now - dt.timedelta(91))
    recent = recording(recordings, world.booking_id, world.tutor_id, clock.now - dt.timedelta(89))
    runner = app.test_cli_runner()

    swept = runner.invoke(cli, ["privacy", "sweep"])

    assert swept.exit_code == 0, swept.output
    assert "1 recordings deleted." in swept.output
    assert not old.exists() and recent.exists()

    app.config["PLUGINS"]["video"]["recording_retention_days"] = 0
    app.extensions.pop(EXTENSION, None)
    clock.advance(days=365)
    kept = runner.invoke(cli, ["privacy", "sweep"])

    assert kept.exit_code == 0 and "0 recordings deleted." in kept.output
    assert recent.exists()
