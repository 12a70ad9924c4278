"""Starting the media worker from the web process, without importing it.

The worker runs aiortc on asyncio, which must never share a process with eventlet or gevent,
so the web process only starts a fresh interpreter for it. The token it needs is issued here
and handed over in its environment rather than on the command line, where ``ps`` shows it.
Only one worker records a room: the worker holds a lock file per booking and a second one
exits at once, so several web processes may all ask for it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

from flask import Flask

from lti_tool_video import tokens
from lti_tool_video.settings import Settings
from lti_tool_video.settings import read_settings

log = logging.getLogger(__name__)
# Not LTI_TOOL_VIDEO_*: those name the plugin's settings, and a worker token is not one.
ENV_TOKEN = "LTI_TOOL_MEDIA_WORKER_TOKEN"
WORKER_MODULE = "lti_tool_video.media.worker"

_running: dict[int, subprocess.Popen[bytes]] = {}
_lock = threading.Lock()


def worker_command(
    booking_id: int, url: str, output_dir: str, extra: list[str] | None = None
) -> list[str]:
    return [
        sys.executable,
        *("-m", WORKER_MODULE),
        *("--booking", str(booking_id), "--url", url, "--output", output_dir),
        *(extra or []),
    ]


def worker_options(settings: Settings) -> list[str]:
    """The worker's share of the settings, as its command-line options."""
    options = ["--replay-minutes", str(settings.replay_minutes)]
    for address in settings.worker_ice_addresses:
        options += ["--ice-address", address]
    return options


def worker_environment(app: Flask, booking_id: int) -> dict[str, str]:
    settings = read_settings(app)
    lifetime = settings.close_after_min * 60 + 24 * 3600
    token = tokens.issue_worker(app.config["SECRET_KEY"], booking_id, lifetime)
    return {**os.environ, ENV_TOKEN: token}


def ensure_worker(app: Flask, booking_id: int) -> subprocess.Popen[bytes] | None:
    """Start a worker for *booking_id* unless this process already runs one or it is off."""
    settings = read_settings(app)
    if not (settings.recording and settings.worker_autostart):
        return None
    with _lock:
        running = _running.get(booking_id)
        if running is not None and running.poll() is None:
            return running
        output = settings.recordings_path(app)
        output.mkdir(parents=True, exist_ok=True)
        url = settings.worker_url or app.config["BASE_URL"]
        extra = worker_options(settings)
        with open(output / f"worker-{booking_id}.log", "ab") as log_file:
            process = subprocess.Popen(
                worker_command(booking_id, url, str(output), extra),
                env=worker_environment(app, booking_id),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        log.info("media worker %s started for booking %s", process.pid, booking_id)
        _running[booking_id] = process
        return process


def stop_workers() -> None:
    """Stop the workers this process started (tests and shutdown)."""
    with _lock:
        for process in _running.values():
            if process.poll() is None:
                process.terminate()
        for process in _running.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        _running.clear()
