"""A test namespace that proves the realtime path end to end.

Enabled by ``realtime_diagnostics`` (refused in production). It echoes, and it relays a
message to everyone in a named room, which is how a multi-process deployment is checked: a
client on one process must hear a message sent through another.
"""

from __future__ import annotations

import os
from typing import Any

from flask_socketio import Namespace
from flask_socketio import emit
from flask_socketio import join_room

NAMESPACE = "/diagnostics"


class DiagnosticsNamespace(Namespace):
    def on_echo(self, data: Any) -> dict[str, Any]:
        return {"echo": data, "pid": os.getpid()}

    def on_join(self, data: dict[str, Any]) -> dict[str, Any]:
        join_room(str(data["room"]))
        return {"joined": data["room"], "pid": os.getpid()}

    def on_broadcast(self, data: dict[str, Any]) -> dict[str, Any]:
        emit("message", {"data": data.get("data"), "from_pid": os.getpid()}, to=str(data["room"]))
        return {"sent": True}
