"""One-to-one video rooms: signaling, the browser client, the framing optimizer, a media worker.

The web process gets the ``/room`` Socket.IO namespace, the client's static files and the
room descriptor. Media flows peer to peer between the two browsers; the servers carry
signaling only. The optional media worker (``lti-tool media-worker``) is an aiortc peer in a
process of its own and is never imported here: aiortc runs on asyncio, the web tier on
eventlet or gevent, and the two must not share a process.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable
from pathlib import Path

import click
from flask import Blueprint
from flask import current_app

from lti_tool import hookimpl
from lti_tool.api import RoomDescriptor
from lti_tool_video import chat  # its tables join the schema when the plugin loads
from lti_tool_video.commands import media_worker_command
from lti_tool_video.recordings import delete_expired_recordings
from lti_tool_video.recordings import delete_recordings_of
from lti_tool_video.recordings import recordings_of
from lti_tool_video.room import NAMESPACE
from lti_tool_video.room import describe
from lti_tool_video.signaling import RoomNamespace
from lti_tool_video.signaling import close_if_refused
from lti_tool_video.web import bp

if t.TYPE_CHECKING:  # pragma: no cover
    import datetime as dt

    from flask_socketio import SocketIO

    from lti_tool.api import Booking
    from lti_tool.api import User


@hookimpl
def room_for_booking(booking: Booking, user: User) -> RoomDescriptor:
    return describe(booking, user)


@hookimpl
def register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(bp)


@hookimpl
def register_socketio(socketio: SocketIO) -> None:
    socketio.on_namespace(RoomNamespace(NAMESPACE))


#: Changes after which the room may have to close at once. ``completed`` is not one: a tutor
#: may mark the session done while still in it, and the room stays open to its usual end.
ROOM_CLOSING_EVENTS = frozenset({"cancelled", "no_show", "expired", "rescheduled"})


@hookimpl
def booking_event(event: str, booking: Booking) -> None:
    if event in ROOM_CLOSING_EVENTS:
        close_if_refused(booking)


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(media_worker_command)


@hookimpl
def migration_directory() -> Path:
    return Path(__file__).with_name("migrations")


@hookimpl
def person_data(user: User) -> dict[str, t.Any]:
    from lti_tool.api import booking_ids_of

    return {
        "video": {
            "chat_messages_sent": chat.sent_by(user.id),
            "recordings": [path.name for path in recordings_of(booking_ids_of(user))],
        }
    }


@hookimpl
def person_erased(user: User, booking_ids: list[int]) -> None:
    chat.blank_lines_of(user.id)
    delete_recordings_of(booking_ids)


@hookimpl
def retention_sweep(now: dt.datetime) -> dict[str, int]:
    # Chat's retention is a site-wide setting of the core, documented beside the others.
    days = int(current_app.config.get("CHAT_RETENTION_DAYS", 0))
    return {
        "chat_messages": chat.delete_expired(now, days),
        "recordings": delete_expired_recordings(now),
    }
