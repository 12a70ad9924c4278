"""The worker's connection to one participant's browser.

The worker always makes the offers (it has the lowest rank). aiortc cannot restart ICE, and
its own consent check gives up only after about 30 s, so the link watches for itself: when
no media has arrived for a few seconds, or the browser asks for a restart, it builds a new
connection with a new connection id and offers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import typing as t

from aiortc import RTCPeerConnection
from aiortc import RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from lti_tool_video.media.replay import ReplayTrack
from lti_tool_video.media.tuning import throttle_keyframe_requests

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool_video.media.agent import Agent

log = logging.getLogger(__name__)
STALL_S = 4.0


class Link:
    def __init__(self, agent: Agent, info: dict[str, t.Any]) -> None:
        self.agent = agent
        self.info = info
        self.conn = ""
        self.pc: RTCPeerConnection | None = None
        self.replay = ReplayTrack()
        self.last_media = time.monotonic()
        self.received = 0
        self._building = asyncio.Lock()
        self._watch = asyncio.ensure_future(self._watchdog())

    @property
    def peer_id(self) -> str:
        return str(self.info["peer_id"])

    @property
    def connected(self) -> bool:
        return self.pc is not None and self.pc.connectionState == "connected"

    async def build(self) -> None:
        async with self._building:
            await self._close_pc()
            self.conn = secrets.token_hex(5)
            self._early: list[dict[str, t.Any]] = []
            pc = RTCPeerConnection()
            self.pc = pc
            pc.addTransceiver("audio", direction="recvonly")
            pc.addTransceiver(self.replay, direction="sendrecv")
            for transceiver in pc.getTransceivers():
                throttle_keyframe_requests(
                    transceiver.receiver, self.agent.ladder.keyframe_min_interval_s
                )
            pc.on("track", lambda track: asyncio.ensure_future(self._on_track(track)))
            self.last_media = time.monotonic()
            # aiortc gathers every candidate before the offer is made, so it trickles none.
            await pc.setLocalDescription(await pc.createOffer())
            await self.agent.signal(
                {
                    "kind": "offer",
                    "to": self.peer_id,
                    "conn": self.conn,
                    "sdp": pc.localDescription.sdp,
                }
            )

    async def handle(self, message: dict[str, t.Any]) -> None:
        kind = message.get("kind")
        if kind == "answer" and message.get("conn") == self.conn and self.pc is not None:
            await self.pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "answer"))
            early, self._early = self._early, []
            for candidate in early:
                await self._add_candidate(candidate)
        elif kind == "candidate" and message.get("conn") == self.conn and self.pc is not None:
            if self.pc.remoteDescription is None:
                # The browser trickles candidates that may overtake its answer.
                self._early.append(message.get("candidate") or {})
            else:
                await self._add_candidate(message.get("candidate") or {})
        elif kind == "restart":
            log.info("%s asked for a new connection", self.peer_id)
            await self.build()
        elif kind == "replay":
            self.agent.start_replay(self, float(message.get("seconds") or 60))

    async def _add_candidate(self, data: dict[str, t.Any]) -> None:
        text = str(data.get("candidate") or "")
        if not text:
            return
        candidate = candidate_from_sdp(
            text.split(":", 1)[1] if text.startswith("candidate:") else text
        )
        candidate.sdpMid = data.get("sdpMid")
        candidate.sdpMLineIndex = data.get("sdpMLineIndex")
        with contextlib.suppress(Exception):
            await self.pc.addIceCandidate(candidate)  # type: ignore[union-attr]

    async def _on_track(self, track: MediaStreamTrack) -> None:
        user_id = self.info.get("user_id")
        recording = self.agent.recording_for(user_id)
        tap = _Tap(track, self)
        if recording is not None:
            await recording.attach(tap)
        else:
            asyncio.ensure_future(tap.drain())

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            if self.pc is None or not self.agent.joined:
                continue
            state = self.pc.connectionState
            quiet = time.monotonic() - self.last_media
            if state in {"failed", "closed"} or (quiet > STALL_S and self.received > 0):
                log.info("link to %s is %s, %.1f s quiet: rebuilding", self.peer_id, state, quiet)
                self.received = 0
                await self.build()

    async def _close_pc(self) -> None:
        if self.pc is not None:
            pc, self.pc = self.pc, None
            await pc.close()

    async def close(self) -> None:
        self._watch.cancel()
        self.replay.stop()
        await self._close_pc()


class _Tap(MediaStreamTrack):
    """Passes a received track through, noting when media last arrived."""

    def __init__(self, source: MediaStreamTrack, link: Link) -> None:
        super().__init__()
        self.kind = source.kind
        self._source = source
        self._link = link

    async def recv(self) -> t.Any:
        frame = await self._source.recv()
        self._link.last_media = time.monotonic()
        self._link.received += 1
        return frame

    async def drain(self) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await self.recv()
