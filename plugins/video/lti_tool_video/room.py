"""The descriptor the room page gets: token, ICE servers, client module, ladder."""

from __future__ import annotations

import typing as t

from flask import current_app
from flask import url_for

from lti_tool.api import Booking
from lti_tool.api import RoomDescriptor
from lti_tool.api import User
from lti_tool.api import current_time
from lti_tool_video import access
from lti_tool_video import tokens
from lti_tool_video.ladder import load_ladder
from lti_tool_video.settings import Settings
from lti_tool_video.settings import read_settings

NAMESPACE = "/room"


def ice_servers(
    settings: Settings, user_id: int, now: float | None = None
) -> list[dict[str, t.Any]]:
    """STUN and TURN servers for one person; TURN only with a shared secret to sign for it."""
    servers: list[dict[str, t.Any]] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls and settings.turn_secret:
        login = tokens.turn_credential(settings.turn_secret, user_id, settings.turn_ttl_s, now)
        servers.append({"urls": list(settings.turn_urls), **login})
    return servers


def fresh_pass(booking: Booking, user: User) -> dict[str, t.Any]:
    """A new token and ICE servers, for the page and for its periodic refresh."""
    settings = read_settings(current_app)
    token = tokens.issue(
        current_app.config["SECRET_KEY"], booking.id, user.id, settings.token_ttl_s
    )
    return {
        "token": token,
        "ice_servers": ice_servers(settings, user.id),
        "expires_in": settings.token_ttl_s,
    }


def describe(booking: Booking, user: User) -> RoomDescriptor:
    settings = read_settings(current_app)
    role = access.role_of(booking, user) or "admin"
    opens, closes = access.window(booking, settings)
    issued = fresh_pass(booking, user)
    options = {
        "namespace": NAMESPACE,
        "token_url": url_for("video.room_pass", booking_id=booking.id),
        "ladder": load_ladder().raw,
        "ladder_url": url_for("video.static", filename="ladder.json"),
        "stylesheet": url_for("video.static", filename="room.css"),
        "self": {"id": user.id, "name": user.display_name, "role": role},
        "people": {
            str(booking.tutor.user_id): booking.tutor.user.display_name,
            str(booking.learner_id): booking.learner.display_name,
        },
        "start_at": booking.start_at.isoformat(),
        "end_at": booking.end_at.isoformat(),
        "opens_at": opens.isoformat(),
        "closes_at": closes.isoformat(),
        "server_time": current_time().isoformat(),
        "token_ttl_s": issued["expires_in"],
        "recording": settings.recording,
    }
    return RoomDescriptor(
        booking_id=booking.id,
        token=issued["token"],
        client_module=url_for("video.static", filename="room.js"),
        ice_servers=issued["ice_servers"],
        options=options,
    )
