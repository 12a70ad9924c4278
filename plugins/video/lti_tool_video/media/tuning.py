"""Adjustments to aiortc for this worker: where it offers candidates, how often it asks for
keyframes."""

from __future__ import annotations

import time
import typing as t
from collections.abc import Awaitable
from collections.abc import Callable

import aioice.ice
from aiortc import RTCRtpReceiver


def offer_addresses(addresses: list[str]) -> None:
    """Gather ICE host candidates on *addresses* only.

    aioice skips loopback when it lists interfaces, so a worker on a single box (or in a
    test namespace that has only loopback) would have no candidate at all without this.
    """
    if not addresses:
        return
    chosen = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses


def throttle_keyframe_requests(receiver: RTCRtpReceiver, min_interval_s: float) -> None:
    """Send at most one picture-loss request per *min_interval_s*.

    aiortc asks for a keyframe whenever a frame cannot be completed. On a lossy, thin link
    that is several times a second, and every keyframe the sender makes is large enough to
    be lost again, so the picture never recovers; spacing the requests lets one arrive.
    """
    send: Callable[[int], Awaitable[None]] = receiver._send_rtcp_pli
    last = -float("inf")

    async def throttled(media_ssrc: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= min_interval_s:
            last = now
            await send(media_ssrc)

    t.cast(t.Any, receiver)._send_rtcp_pli = throttled
