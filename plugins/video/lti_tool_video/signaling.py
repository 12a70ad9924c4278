"""The ``/room`` Socket.IO namespace: who is in a booking's room and what they tell each other.

Every message for a room goes to the Socket.IO room ``video-<booking id>``, so with a message
queue two people on different processes still hear each other. The server never tracks who
else is present: a newcomer announces itself (``presence: joined``) and those present answer
(``presence: here``), which works the same whichever process each of them is on. Offers,
answers and ICE candidates are relayed untouched except for ``from``, which the server sets so
that nobody can speak for another peer.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

from flask import current_app
from flask import request
from flask_socketio import ConnectionRefusedError
from flask_socketio import Namespace
from flask_socketio import emit
from flask_socketio import join_room
from flask_socketio import leave_room

from lti_tool.booking import current_time
from lti_tool.models import Booking
from lti_tool.models import User
from lti_tool.models import db
from lti_tool_video import access
from lti_tool_video import chat
from lti_tool_video import launcher
from lti_tool_video import tokens
from lti_tool_video.settings import read_settings

PEER_ID = re.compile(r"^[A-Za-z0-9_-]{4,64}$")
SIGNAL_KINDS = frozenset({"offer", "answer", "candidate", "restart", "bye", "replay"})
MAX_SIGNAL = 64_000


@dataclass
class Member:
    booking_id: int
    user_id: int | None
    role: str
    sid: str = ""
    peer_id: str | None = None
    media: dict[str, bool] | None = None

    @property
    def room(self) -> str:
        return f"video-{self.booking_id}"

    def public(self) -> dict[str, t.Any]:
        return {
            "peer_id": self.peer_id,
            # Which socket spoke: a late "left" for a socket already replaced is ignored.
            "sid": self.sid,
            "user_id": self.user_id,
            "role": self.role,
            "rank": 0 if self.role == "worker" else 1,
            "media": self.media or {},
        }


def _error(reason: str) -> dict[str, t.Any]:
    return {"ok": False, "error": reason}


class RoomNamespace(Namespace):
    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.members: dict[str, Member] = {}

    # -- admission ---------------------------------------------------------------------------

    def _admit(self, room_pass: tokens.RoomPass) -> Member:
        """Check, against the database, that this pass may be in its room now."""
        settings = read_settings(current_app)
        booking = db.session.get(Booking, room_pass.booking_id)
        now = current_time()
        if room_pass.is_worker:
            booking = access.check_open(booking, settings, now)
            if not access.recording_allowed(booking, settings):
                raise access.Refused("recording is off or not agreed by both")
            return Member(booking_id=booking.id, user_id=None, role="worker")
        user = db.session.get(User, room_pass.user_id)
        role = access.check_person(booking, user, settings, now)
        return Member(booking_id=room_pass.booking_id, user_id=room_pass.user_id, role=role)

    def on_connect(self, auth: t.Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            room_pass = tokens.verify(current_app.config["SECRET_KEY"], token)
            member = self._admit(room_pass)
        except (tokens.TokenRefused, access.Refused) as exc:
            raise ConnectionRefusedError(str(exc)) from None
        member.sid = request.sid
        self.members[request.sid] = member

    def on_join(self, data: t.Any) -> dict[str, t.Any]:
        member = self.members.get(request.sid)
        if member is None:
            return _error("not connected")
        if not isinstance(data, dict) or not PEER_ID.match(str(data.get("peer_id", ""))):
            return _error("join needs a peer_id")
        if data.get("booking_id") != member.booking_id:
            return _error("not a participant of this booking")
        try:
            # The pass was good at connect time; the booking or the person may have changed.
            self._admit(tokens.RoomPass(member.booking_id, member.user_id, expires_at=0))
        except access.Refused as exc:
            return _error(str(exc))
        member.peer_id = str(data["peer_id"])
        member.media = _media(data.get("media"))
        join_room(member.room)
        emit(
            "presence", {**member.public(), "state": "joined"}, to=member.room, skip_sid=request.sid
        )
        booking = db.session.get(Booking, member.booking_id)
        assert booking is not None
        settings = read_settings(current_app)
        if access.recording_allowed(booking, settings) and member.role != "worker":
            launcher.ensure_worker(current_app, booking.id)
        try:
            after = chat.after_id(data.get("chat_after"))
        except chat.BadMessage:
            after = 0  # a bad resume point costs a longer history, not the join
        return {
            "ok": True,
            "self": member.public(),
            "history": chat.history(member.booking_id, after),
            "server_time": current_time().isoformat(),
            "consent": access.consent(booking),
            "recording": settings.recording,
        }

    def _joined(self) -> Member | None:
        member = self.members.get(request.sid)
        return member if member is not None and member.peer_id is not None else None

    # -- presence and negotiation ------------------------------------------------------------

    def on_here(self, data: t.Any) -> None:
        """Answer a newcomer: "I am here too"."""
        member = self._joined()
        if member is None or not isinstance(data, dict):
            return
        payload = {**member.public(), "state": "here", "to": str(data.get("to", ""))}
        emit("presence", payload, to=member.room, skip_sid=request.sid)

    def on_signal(self, data: t.Any) -> dict[str, t.Any]:
        member = self._joined()
        if member is None:
            return _error("join first")
        if not isinstance(data, dict) or data.get("kind") not in SIGNAL_KINDS:
            return _error("unknown signal")
        if len(str(data)) > MAX_SIGNAL:
            return _error("signal too large")
        relayed = {**data, "from": member.peer_id, "user_id": member.user_id, "role": member.role}
        emit("signal", relayed, to=member.room, skip_sid=request.sid)
        return {"ok": True}

    def on_media(self, data: t.Any) -> dict[str, t.Any]:
        member = self._joined()
        if member is None:
            return _error("join first")
        member.media = _media(data)
        emit("media", member.public(), to=member.room, skip_sid=request.sid)
        return {"ok": True}

    def on_ping(self, _data: t.Any = None) -> dict[str, t.Any]:
        return {"ok": True, "server_time": current_time().isoformat()}

    # -- chat --------------------------------------------------------------------------------

    def on_chat(self, data: t.Any) -> dict[str, t.Any]:
        member = self._joined()
        if member is None or member.user_id is None:
            return _error("join first")
        try:
            message, created = chat.post(member.booking_id, member.user_id, data)
        except chat.BadMessage as exc:
            return _error(str(exc))
        if created:
            emit("chat", message, to=member.room, skip_sid=request.sid)
        return {"ok": True, "message": message}

    def on_history(self, data: t.Any = None) -> dict[str, t.Any]:
        member = self._joined()
        if member is None:
            return _error("join first")
        try:
            after = chat.after_id(data.get("after_id") if isinstance(data, dict) else None)
        except chat.BadMessage as exc:
            return _error(str(exc))
        return {"ok": True, "history": chat.history(member.booking_id, after)}

    # -- recording and the end of the session ------------------------------------------------

    def on_consent(self, data: t.Any) -> dict[str, t.Any]:
        member = self._joined()
        if member is None or member.role not in {"tutor", "learner"}:
            return _error("only the tutor and the learner give consent")
        booking = db.session.get(Booking, member.booking_id)
        user = db.session.get(User, member.user_id)
        assert booking is not None and user is not None
        granted = bool(data.get("granted")) if isinstance(data, dict) else False
        agreed = access.record_consent(booking, user, granted)
        settings = read_settings(current_app)
        active = access.recording_allowed(booking, settings)
        emit("recording", {"consent": agreed, "active": active}, to=member.room)
        if active:
            launcher.ensure_worker(current_app, booking.id)
        return {"ok": True, "consent": agreed, "active": active}

    def on_end(self, _data: t.Any = None) -> dict[str, t.Any]:
        member = self._joined()
        if member is None or member.role not in {"tutor", "admin"}:
            return _error("only the tutor ends the session")
        booking = db.session.get(Booking, member.booking_id)
        user = db.session.get(User, member.user_id)
        assert booking is not None
        access.mark_ended(booking, user)
        emit("ended", {"by": member.user_id}, to=member.room)
        return {"ok": True}

    # -- leaving -----------------------------------------------------------------------------

    def _depart(self, member: Member, sid: str) -> None:
        if member.peer_id is None:
            return
        emit("presence", {**member.public(), "state": "left"}, to=member.room, skip_sid=sid)
        leave_room(member.room)
        member.peer_id = None

    def on_leave(self, _data: t.Any = None) -> dict[str, t.Any]:
        member = self.members.get(request.sid)
        if member is not None:
            self._depart(member, request.sid)
        return {"ok": True}

    def on_disconnect(self, _reason: t.Any = None) -> None:
        member = self.members.pop(request.sid, None)
        if member is not None:
            self._depart(member, request.sid)


def _media(data: t.Any) -> dict[str, bool]:
    data = data if isinstance(data, dict) else {}
    return {key: bool(data.get(key)) for key in ("camera", "mic", "screen")}
