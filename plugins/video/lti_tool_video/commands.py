"""``lti-tool media-worker``: run the aiortc peer of one room in a fresh interpreter.

The command reads the tool's settings (the secret key signs the worker's token) and then
replaces itself with ``python -m lti_tool_video.media.worker``, so the process that imported
Flask and the plugins is not the one that imports aiortc.
"""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from lti_tool_video import launcher
from lti_tool_video.settings import read_settings


@click.command("media-worker")
@click.option("--booking", "booking_id", type=int, required=True, help="The booking's room.")
@click.option("--url", help="Where the web tier answers; defaults to the worker_url setting.")
@click.option("--output", type=click.Path(file_okay=False), help="Recordings folder.")
@click.option("--ice-address", "ice_addresses", multiple=True, help="Host candidate address.")
@click.option("--max-seconds", type=float, help="Stop after this long (tests, trials).")
@with_appcontext
def media_worker_command(
    booking_id: int,
    url: str | None,
    output: str | None,
    ice_addresses: tuple[str, ...],
    max_seconds: float | None,
) -> None:
    """Join a room as the recording peer (needs recording on and both people's consent)."""
    settings = read_settings(current_app)
    extra = launcher.worker_options(settings)
    for address in ice_addresses:
        extra += ["--ice-address", address]
    if max_seconds is not None:
        extra += ["--max-seconds", str(max_seconds)]
    argv = launcher.worker_command(
        booking_id,
        url or settings.worker_url or current_app.config["BASE_URL"],
        output or str(settings.recordings_path(current_app)),
        extra,
    )
    env = launcher.worker_environment(current_app, booking_id)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)
