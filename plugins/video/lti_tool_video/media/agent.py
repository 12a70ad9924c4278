"""The worker's presence in a room: the same ``/room`` signaling a browser uses.

It joins with a worker token, answers newcomers, keeps one :class:`Link` per participant's
browser and one recording per participant, and leaves when the session ends, when the room
refuses it (consent withdrawn, room closed) or when nobody has been there for a while.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import typing as t
from pathlib import Path

import socketio

from lti_tool_video.ladder import Ladder
from lti_tool_video.media.link import Link
from lti_tool_video.media.recording import ParticipantRecording

log = logging.getLogger(__name__)
NAMESPACE = "/room"
REPLAY_BUDGET_KBPS = 300
IDLE_EXIT_S = 600.0


class Agent:
    def __init__(self, url: str, token: str, booking_id: int, output: Path, ladder: Ladder) -> None:
        self.url = url
        self.token = token
        self.booking_id = booking_id
        self.output = output
        self.ladder = ladder
        self.peer_id = f"w{secrets.token_hex(6)}"
        self.links: dict[str, Link] = {}
        self.recordings: dict[int, ParticipantRecording] = {}
        self.epoch = time.monotonic()
        self.joined = False
        self.done = asyncio.Event()
        self.reason = ""
        self.last_company = time.monotonic()
        self.replay_limit_s = 300.0
        self.sio = socketio.AsyncClient(
            reconnection=True, reconnection_delay=0.5, reconnection_delay_max=2
        )
        on = self.sio.on
        on("connect", self._on_connect, namespace=NAMESPACE)
        on("connect_error", self._on_refused, namespace=NAMESPACE)
        on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        on("presence", self._on_presence, namespace=NAMESPACE)
        on("signal", self._on_signal, namespace=NAMESPACE)
        on("ended", self._on_ended, namespace=NAMESPACE)

    async def run(self, max_seconds: float | None = None) -> str:
        await self.sio.connect(
            self.url, namespaces=[NAMESPACE], auth={"token": self.token}, wait_timeout=10
        )
        idle = asyncio.ensure_future(self._idle_watch())
        try:
            await asyncio.wait_for(self.done.wait(), timeout=max_seconds)
        except TimeoutError:
            self.reason = self.reason or "time limit"
        finally:
            idle.cancel()
            await self.close()
        return self.reason

    async def close(self) -> None:
        for link in list(self.links.values()):
            await link.close()
        self.links.clear()
        for recording in self.recordings.values():
            await recording.close()
        if self.sio.connected:
            await self.sio.disconnect()

    def finish(self, reason: str) -> None:
        self.reason = self.reason or reason
        self.done.set()

    async def signal(self, payload: dict[str, t.Any]) -> None:
        await self.sio.emit("signal", payload, namespace=NAMESPACE)

    def recording_for(self, user_id: t.Any) -> ParticipantRecording | None:
        if not isinstance(user_id, int):
            return None
        if user_id not in self.recordings:
            stamp = time.strftime("%Y%m%dT%H%M%S")
            path = self.output / f"booking-{self.booking_id}-user-{user_id}-{stamp}.mp4"
            self.recordings[user_id] = ParticipantRecording(path, self.epoch)
        return self.recordings[user_id]

    def start_replay(self, link: Link, seconds: float) -> None:
        """Replay what the *other* participants said in the last *seconds* to *link*."""
        wanted = link.info.get("user_id")
        others = [rec for uid, rec in self.recordings.items() if uid != wanted]
        if not others:
            log.info("nothing recorded to replay for %s", wanted)
            return
        rung = self.ladder.rung_for_budget(REPLAY_BUDGET_KBPS)
        link.replay.play(others[0].path, min(seconds, self.replay_limit_s), rung)

    # -- Socket.IO events -------------------------------------------------------------------

    async def _on_connect(self) -> None:
        reply = await self.sio.call(
            "join",
            {"booking_id": self.booking_id, "peer_id": self.peer_id},
            namespace=NAMESPACE,
            timeout=10,
        )
        if not reply.get("ok"):
            self.finish(f"refused on join: {reply.get('error')}")
            return
        self.joined = True
        log.info("joined room of booking %s as %s", self.booking_id, self.peer_id)

    async def _on_refused(self, data: t.Any) -> None:
        self.finish(f"refused: {data}")

    async def _on_disconnect(self, *_args: t.Any) -> None:
        self.joined = False

    async def _on_ended(self, _data: t.Any) -> None:
        self.finish("session ended")

    async def _on_presence(self, info: dict[str, t.Any]) -> None:
        if info.get("role") == "worker" or info.get("peer_id") == self.peer_id:
            return
        if info.get("state") == "left":
            link = self.links.get(str(info.get("peer_id")))
            if link is not None and link.info.get("sid") == info.get("sid"):
                await link.close()
                self.links.pop(link.peer_id, None)
            return
        if info.get("state") == "joined":
            await self.sio.emit("here", {"to": info["peer_id"]}, namespace=NAMESPACE)
        elif info.get("to") != self.peer_id:
            return
        await self._learn(info)

    async def _learn(self, info: dict[str, t.Any]) -> None:
        self.last_company = time.monotonic()
        for peer_id, other in list(self.links.items()):
            # The same person from a new tab: the old page is gone.
            if peer_id != info["peer_id"] and other.info.get("user_id") == info.get("user_id"):
                await other.close()
                del self.links[peer_id]
        link = self.links.get(info["peer_id"])
        if link is None:
            link = self.links[info["peer_id"]] = Link(self, info)
            await link.build()
        else:
            link.info = {**link.info, **info}
            if not link.connected:
                await link.build()

    async def _on_signal(self, message: dict[str, t.Any]) -> None:
        if message.get("to") != self.peer_id:
            return
        link = self.links.get(str(message.get("from")))
        if link is not None:
            await link.handle(message)

    async def _idle_watch(self) -> None:
        while True:
            await asyncio.sleep(5)
            if self.links:
                self.last_company = time.monotonic()
            elif time.monotonic() - self.last_company > IDLE_EXIT_S:
                self.finish("nobody in the room")
