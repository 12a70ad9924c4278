"""``python -m lti_tool_video.media.worker``: the process ``lti-tool media-worker`` becomes.

It needs no database and no secret: the web tier (or ``lti-tool media-worker``) gives it a
signed worker token in ``LTI_TOOL_MEDIA_WORKER_TOKEN``, and the server checks that token and
the room's recording consent when it connects.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import logging
import os
import signal
import sys
from pathlib import Path

from lti_tool_video.ladder import load_ladder
from lti_tool_video.launcher import ENV_TOKEN
from lti_tool_video.media.agent import Agent
from lti_tool_video.media.tuning import offer_addresses

log = logging.getLogger("lti_tool_video.media")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lti-tool media-worker")
    parser.add_argument("--booking", type=int, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--ice-address", action="append", default=[])
    parser.add_argument("--max-seconds", type=float)
    parser.add_argument("--replay-minutes", type=float, default=5.0)
    return parser.parse_args(argv)


async def serve(options: argparse.Namespace, token: str) -> str:
    agent = Agent(options.url, token, options.booking, options.output, load_ladder())
    agent.replay_limit_s = options.replay_minutes * 60
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Stopping politely lets the recordings close; a killed MP4 loses its last fragment.
        loop.add_signal_handler(signum, agent.finish, f"signal {signum}")
    return await agent.run(options.max_seconds)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    options = parse(sys.argv[1:] if argv is None else argv)
    token = os.environ.get(ENV_TOKEN, "")
    if not token:
        log.error("%s is not set; start the worker with lti-tool media-worker", ENV_TOKEN)
        return 2
    options.output.mkdir(parents=True, exist_ok=True)
    lock_path = options.output / f"booking-{options.booking}.lock"
    with lock_path.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("another worker already records booking %s", options.booking)
            return 0
        offer_addresses(options.ice_address)
        reason = asyncio.run(serve(options, token))
    log.info("worker for booking %s stopped: %s", options.booking, reason)
    return 0


if __name__ == "__main__":
    sys.exit(main())
