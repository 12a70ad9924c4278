"""Recording one participant to one file, across reconnects.

A participant's tracks change whenever the connection is rebuilt, and each new track's
timestamps start again at zero. The recorder therefore reads from a steady track that takes
frames from whichever source is current and stamps them by the worker's clock, so the file
is one continuous timeline with the gaps where the person was away. The file is fragmented
MP4: it is playable while still being written, which is what the replay reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import time
from pathlib import Path

import numpy
from aiortc.contrib.media import MediaRecorder
from aiortc.mediastreams import MediaStreamError
from aiortc.mediastreams import MediaStreamTrack
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

log = logging.getLogger(__name__)
# aiortc's MediaRecorder writes video at a fixed 30 frames a second; two frames on one tick
# make the muxer fail, so video is stamped on that grid, one tick apart at least.
VIDEO_RATE = 30
PLACEHOLDER_AFTER_S = 2.0
PLACEHOLDER_SIZE = (640, 480)
# A fragment a second, each written out at once, so a reader sees the file grow.
FRAGMENTED = {
    "movflags": "frag_keyframe+empty_moov+default_base_moof",
    "frag_duration": "1000000",
    "flush_packets": "1",
}


class SteadyTrack(MediaStreamTrack):
    """Frames of the current source, restamped on one clock that never goes back.

    The recorder sizes its video encoder from the first video frame, and fails on that frame
    if any audio was written before it. So audio waits for the first video frame, and video
    sends a black placeholder when the person's camera stays off at the start.
    """

    def __init__(self, kind: str, epoch: float, video_started: asyncio.Event) -> None:
        super().__init__()
        self.kind = kind
        self._epoch = epoch
        self._video_started = video_started
        self._source: MediaStreamTrack | None = None
        self._changed = asyncio.Event()
        self._last_pts = -1
        self.frames = 0

    def use(self, source: MediaStreamTrack) -> None:
        self._source = source
        self._changed.set()

    async def recv(self) -> AudioFrame | VideoFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            source = self._source
            if source is None:
                self._changed.clear()
                if self.kind == "video" and not self._video_started.is_set():
                    try:
                        await asyncio.wait_for(self._changed.wait(), PLACEHOLDER_AFTER_S)
                    except TimeoutError:
                        return self._deliver(_black())
                else:
                    await self._changed.wait()
                continue
            try:
                frame = await source.recv()
            except MediaStreamError:
                if self._source is source:
                    self._source = None
                continue
            if not isinstance(frame, AudioFrame | VideoFrame):
                # Only decoded frames can be restamped; a participant's track never sends packets.
                continue
            return self._deliver(frame)

    def _deliver(self, frame: AudioFrame | VideoFrame) -> AudioFrame | VideoFrame:
        if isinstance(frame, VideoFrame):
            self._video_started.set()
        self.frames += 1
        return self._restamp(frame)

    def _restamp(self, frame: AudioFrame | VideoFrame) -> AudioFrame | VideoFrame:
        elapsed = time.monotonic() - self._epoch
        if isinstance(frame, AudioFrame):
            rate = frame.sample_rate
            pts = max(self._last_pts + frame.samples, int(elapsed * rate))
            frame.time_base = fractions.Fraction(1, rate)
        else:
            pts = max(self._last_pts + 1, round(elapsed * VIDEO_RATE))
            frame.time_base = fractions.Fraction(1, VIDEO_RATE)
        frame.pts = pts
        self._last_pts = pts
        return frame


def _black() -> VideoFrame:
    width, height = PLACEHOLDER_SIZE
    return VideoFrame.from_ndarray(numpy.zeros((height, width, 3), numpy.uint8), format="rgb24")


class _AfterVideo(SteadyTrack):
    async def recv(self) -> AudioFrame | VideoFrame:
        await self._video_started.wait()
        return await super().recv()


class ParticipantRecording:
    def __init__(self, path: Path, epoch: float) -> None:
        self.path = path
        self.epoch = epoch
        video_started = asyncio.Event()
        self.audio = _AfterVideo("audio", epoch, video_started)
        self.video = SteadyTrack("video", epoch, video_started)
        self._recorder = MediaRecorder(str(path), format="mp4", options=FRAGMENTED)
        self._recorder.addTrack(self.audio)
        self._recorder.addTrack(self.video)
        self._started = False

    async def attach(self, track: MediaStreamTrack) -> None:
        (self.audio if track.kind == "audio" else self.video).use(track)
        if not self._started:
            self._started = True
            await self._recorder.start()
            log.info("recording %s", self.path)

    async def close(self) -> None:
        self.audio.stop()
        self.video.stop()
        if self._started:
            with contextlib.suppress(Exception):
                # A recording whose person never sent video still closes its audio cleanly.
                await self._recorder.stop()
