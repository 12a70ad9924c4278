"""Room chat: stored, ordered by arrival, and harmless to resend.

The browser keeps unsent lines in an outbox and resends them after a reconnect with the same
``client_message_id``; the unique constraint on (booking, sender, client id) turns a resend
into a lookup of the line already stored, so every line exists once however often it came.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lti_tool.api import MAX_ID
from lti_tool.api import Booking
from lti_tool.api import db
from lti_tool.api import export_instant
from lti_tool.api import write_transaction
from lti_tool_video.models import ChatMessage

MAX_BODY = 2000
HISTORY_LIMIT = 500
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class BadMessage(ValueError):
    """A chat line that cannot be stored; the message says why."""


def as_dict(message: ChatMessage) -> dict[str, t.Any]:
    return {
        "id": message.id,
        "client_message_id": message.client_message_id,
        "sender_id": message.sender_id,
        "body": message.body,
        "sent_at": message.sent_at.isoformat(),
    }


def _find(booking_id: int, sender_id: int, client_id: str) -> ChatMessage | None:
    return db.session.scalar(
        sa.select(ChatMessage).where(
            ChatMessage.booking_id == booking_id,
            ChatMessage.sender_id == sender_id,
            ChatMessage.client_message_id == client_id,
        )
    )


def post(booking_id: int, sender_id: int, data: t.Any) -> tuple[dict[str, t.Any], bool]:
    """Store a chat line unless it is already stored.

    :returns: the stored line and whether this call created it.
    :raises BadMessage: the payload is not a chat line.
    """
    if not isinstance(data, dict):
        raise BadMessage("expected {client_message_id, body}")
    client_id = data.get("client_message_id")
    body = data.get("body")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise BadMessage("client_message_id must be 8-64 letters, digits, - or _")
    if not isinstance(body, str) or not body.strip():
        raise BadMessage("an empty message")
    if len(body) > MAX_BODY:
        raise BadMessage(f"a message holds at most {MAX_BODY} characters")
    existing = _find(booking_id, sender_id, client_id)
    if existing is not None:
        return as_dict(existing), False
    message = ChatMessage(
        booking_id=booking_id, sender_id=sender_id, client_message_id=client_id, body=body
    )
    db.session.add(message)
    try:
        db.session.commit()
    except IntegrityError:
        # The same line arrived twice at once (two processes); the other copy won.
        db.session.rollback()
        existing = _find(booking_id, sender_id, client_id)
        if existing is None:
            raise
        return as_dict(existing), False
    return as_dict(message), True


def after_id(value: t.Any) -> int:
    """The ``after_id`` of a history request: a message id, or 0 (absent) for all of it.

    :raises BadMessage: not a whole number a message id column can hold.
    """
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise BadMessage(f"after_id must be a message id from 0 to {MAX_ID}")
    return value


def history(booking_id: int, after_id: int = 0) -> list[dict[str, t.Any]]:
    rows = db.session.scalars(
        sa.select(ChatMessage)
        .where(ChatMessage.booking_id == booking_id, ChatMessage.id > after_id)
        .order_by(ChatMessage.id)
        .limit(HISTORY_LIMIT)
    ).all()
    return [as_dict(row) for row in rows]


def sent_by(user_id: int) -> list[dict[str, t.Any]]:
    """What a person wrote in rooms, for their export."""
    rows = db.session.scalars(
        sa.select(ChatMessage).where(ChatMessage.sender_id == user_id).order_by(ChatMessage.id)
    )
    return [
        {"booking_id": m.booking_id, "sent_at": export_instant(m.sent_at), "body": m.body}
        for m in rows
    ]


def blank_lines_of(user_id: int) -> None:
    """Empty what an erased person wrote; the lines stay, so the other side's replies keep
    their place in the conversation."""
    with write_transaction() as session:
        session.execute(
            sa.update(ChatMessage).where(ChatMessage.sender_id == user_id).values(body="")
        )


def delete_expired(now: dt.datetime, days: int) -> int:
    """Delete the chat of sessions that ended more than *days* before *now* (0 keeps all)."""
    if not days:
        return 0
    ended = sa.select(Booking.id).where(Booking.end_at < now - dt.timedelta(days=days))
    with write_transaction() as session:
        result = session.execute(sa.delete(ChatMessage).where(ChatMessage.booking_id.in_(ended)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
