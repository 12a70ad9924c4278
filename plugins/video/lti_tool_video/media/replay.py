"""Replaying the last minutes of a recording to someone who dropped out.

The recording is fragmented MP4, readable while it grows. A replay reads it in a thread
(decoding is slow and must not hold up the event loop), scales each frame to the ladder's
replay rung and hands it over at that rung's frame rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import av
from aiortc.mediastreams import MediaStreamError
from aiortc.mediastreams import MediaStreamTrack
from av.video.frame import VideoFrame

from lti_tool_video.ladder import Rung

log = logging.getLogger(__name__)
VIDEO_CLOCK = 90_000
_END = object()


def _packets(container: av.container.InputContainer) -> Iterator[av.Packet]:
    stream = container.streams.video[0]
    # The newest fragment may be half written; reading stops where the data does.
    with contextlib.suppress(av.error.FFmpegError):
        yield from container.demux(stream)


def _last_time(path: Path) -> float:
    """The time of the newest video packet in *path* (demuxing only, no decoding)."""
    newest = 0.0
    with av.open(str(path)) as container:
        for packet in _packets(container):
            if packet.pts is not None and packet.time_base is not None:
                newest = max(newest, float(packet.pts * packet.time_base))
    return newest


def frames_since(path: Path, seconds: float, rung: Rung) -> Iterator[VideoFrame]:
    """Frames of the last *seconds* of *path*, scaled and thinned to *rung*."""
    start = _last_time(path) - seconds
    spacing = 1.0 / rung.max_fps
    next_time = start
    with av.open(str(path)) as container:
        for packet in _packets(container):
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                continue
            for frame in frames:
                when = float(frame.time or 0.0)
                if when < next_time:
                    continue
                next_time = when + spacing
                height = min(rung.height or frame.height, frame.height)
                width = max(2, round(frame.width * height / frame.height / 2) * 2)
                yield frame.reformat(width=width, height=height, format="yuv420p")


class ReplayTrack(MediaStreamTrack):
    """The worker's outgoing video to one participant: silent until a replay is asked for."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._frames: queue.Queue[object] | None = None
        self._started = asyncio.Event()
        self._stop_reading = threading.Event()
        self._epoch = time.monotonic()
        self._last_pts = -1
        self._rung: Rung | None = None
        self._next_at = 0.0
        self.sent = 0

    def play(self, path: Path, seconds: float, rung: Rung) -> None:
        self._stop_reading.set()
        self._stop_reading = threading.Event()
        frames: queue.Queue[object] = queue.Queue(maxsize=30)
        stop = self._stop_reading

        def read() -> None:
            count = 0
            try:
                for frame in frames_since(path, seconds, rung):
                    count += 1
                    while not stop.is_set():
                        with contextlib.suppress(queue.Full):
                            frames.put(frame, timeout=0.5)
                            break
                    if stop.is_set():
                        return
            except Exception:  # a broken file ends this replay, not the worker
                log.exception("replay of %s failed", path)
            log.info("replay of %s read %d frames", path.name, count)
            frames.put(_END)

        threading.Thread(target=read, name="replay", daemon=True).start()
        self._frames = frames
        self._rung = rung
        self._next_at = time.monotonic()
        self._started.set()
        log.info("replaying %.0f s of %s", seconds, path)

    async def recv(self) -> VideoFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            frames = self._frames
            if frames is None:
                self._started.clear()
                await self._started.wait()
                continue
            item = await asyncio.get_running_loop().run_in_executor(None, frames.get)
            if item is _END or frames is not self._frames:
                if frames is self._frames:
                    self._frames = None
                continue
            assert isinstance(item, VideoFrame) and self._rung is not None
            delay = self._next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next_at = max(self._next_at, time.monotonic()) + 1.0 / self._rung.max_fps
            return self._stamp(item)

    def _stamp(self, frame: VideoFrame) -> VideoFrame:
        pts = max(self._last_pts + 1, int((time.monotonic() - self._epoch) * VIDEO_CLOCK))
        frame.pts = pts
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self._last_pts = pts
        self.sent += 1
        return frame

    def stop(self) -> None:
        self._stop_reading.set()
        super().stop()
