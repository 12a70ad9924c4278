"""The video plugin's own table: the room chat. Its revisions are the ``video`` branch in
``migrations/``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from lti_tool.api import Base
from lti_tool.api import UTCDateTime
from lti_tool.api import utcnow


class ChatMessage(Base):
    """A chat line in a booking's room. ``client_message_id`` makes resending harmless."""

    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("booking_id", "sender_id", "client_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_message_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
