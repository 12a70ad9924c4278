"""Without a video plugin the room page explains that no video room is installed."""

from __future__ import annotations

import typing as t

from lti_tool import hookimpl
from lti_tool.rooms import RoomDescriptor

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.models import Booking
    from lti_tool.models import User


@hookimpl(trylast=True)
def room_for_booking(booking: Booking, user: User) -> RoomDescriptor:
    return RoomDescriptor(booking_id=booking.id, token="", client_module=None)
