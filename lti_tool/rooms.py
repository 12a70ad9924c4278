"""What a video room plugin hands the room page."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any


@dataclass(frozen=True)
class RoomDescriptor:
    """Everything the room page needs to join a booking's room.

    ``client_module`` is the URL of the ES module that runs the room; ``None`` means the
    tool has no video room installed and the page says so.
    """

    booking_id: int
    token: str
    client_module: str | None = None
    ice_servers: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
