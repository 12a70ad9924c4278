"""The ``/room`` Socket.IO namespace: who is in a booking's room and what they tell each other.

Every message for a room goes to the Socket.IO room ``video-<booking id>``, so with a message
queue two people on different processes still hear each other. The server never tracks who
else is present: a newcomer announces itself (``presence: joined``) and those present answer
(``presence: here``), which works the same whichever process each of them is on. Offers,
answers and ICE candidates are relayed untouched except for ``from``, which the server sets so
that nobody can speak for another peer.

Admission is not for good: every event after ``join`` checks the booking again with the rule
of the join, so a booking cancelled, moved or ended while people are inside empties its room
(``ejected``) instead of letting them talk on.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t
from dataclasses import dataclass

from flask import current_app
from flask import request
from flask_socketio import Namespace
from flask_socketio import emit
from flask_socketio import join_room
from flask_socketio import leave_room
from socketio.exceptions import ConnectionRefusedError

from lti_tool.api import Booking
from lti_tool.api import User
from lti_tool.api import current_time
from lti_tool.api import db
from lti_tool.api import forget_emit_reach
from lti_tool.api import last_emit_reach
from lti_tool_video import access
from lti_tool_video import chat
from lti_tool_video import launcher
from lti_tool_video import tokens
from lti_tool_video.room import NAMESPACE
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
    #: Why the room turned this socket out; it is refused everything from then on.
    ejected: str | None = None

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


class _SocketRequest(t.Protocol):
    sid: str


def _sid() -> str:
    """The socket of the event being handled, which Flask-SocketIO sets on the request."""
    return t.cast(_SocketRequest, request).sid


def _error(reason: str) -> dict[str, t.Any]:
    return {"ok": False, "error": reason}


@dataclass(frozen=True)
class Verdict:
    """A passed re-check, good while the booking's fingerprint is unchanged and the room open.

    Signaling is chatty (a burst of ICE candidates per negotiation), so a full re-check, four
    or five queries, runs only when the one-query fingerprint moved; nothing is trusted past
    the room's closing time, which needs no query to test.
    """

    fingerprint: tuple[t.Any, ...]
    closes_at: dt.datetime


class _SocketIO(t.Protocol):
    """What the namespace uses of Flask-SocketIO's ``SocketIO``: its stubs leave out the
    python-socketio server and the keyword arguments ``emit`` passes on to it."""

    server: t.Any

    def emit(self, event: str, *args: t.Any, **kwargs: t.Any) -> None: ...

    def close_room(self, room: str, namespace: str | None = None) -> None: ...


class RoomNamespace(Namespace):
    # Both are set by Flask-SocketIO when the namespace is registered.
    socketio: _SocketIO
    namespace: str

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.members: dict[str, Member] = {}
        self.verdicts: dict[tuple[int, int | None], Verdict] = {}

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
        member.sid = _sid()
        self.members[member.sid] = member

    def on_join(self, data: t.Any) -> dict[str, t.Any]:
        member = self.members.get(_sid())
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
        emit("presence", {**member.public(), "state": "joined"}, to=member.room, skip_sid=_sid())
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
        member = self.members.get(_sid())
        return member if member is not None and member.peer_id is not None else None

    # -- staying in the room -----------------------------------------------------------------

    def _refusal(self, member: Member) -> str | None:
        """Why *member* may no longer be in the room, or ``None`` if it still may."""
        key = (member.booking_id, member.user_id)
        seen = access.fingerprint(member.booking_id, member.user_id)
        now = current_time()
        known = self.verdicts.get(key)
        if seen is not None and known is not None:
            if known.fingerprint == seen and now <= known.closes_at:
                return None
        try:
            self._admit(tokens.RoomPass(member.booking_id, member.user_id, expires_at=0))
        except access.Refused as exc:
            self.verdicts.pop(key, None)
            return str(exc)
        booking = db.session.get(Booking, member.booking_id)
        assert booking is not None and seen is not None
        _, closes_at = access.window(booking, read_settings(current_app))
        self.verdicts[key] = Verdict(fingerprint=seen, closes_at=closes_at)
        return None

    def _present(self) -> tuple[Member | None, str]:
        """The joined member behind this event, if the booking still lets it be here.

        When the booking itself closes the room, the whole room is emptied; when only this
        member lost its place (a person deactivated, the recorder after consent was
        withdrawn), only this member leaves. Either way the reason comes back.
        """
        member = self.members.get(_sid())
        if member is not None and member.ejected is not None:
            return None, member.ejected
        member = self._joined()
        if member is None:
            return None, "join first"
        reason = self._refusal(member)
        if reason is None:
            return member, ""
        try:
            booking = db.session.get(Booking, member.booking_id)
            access.check_open(booking, read_settings(current_app), current_time())
        except access.Refused as closed:
            self.eject(member.booking_id, str(closed), keep_sid=_sid())
            return None, str(closed)
        self._depart(member, _sid())
        member.ejected = reason
        emit("ejected", {"booking_id": member.booking_id, "reason": reason})
        return None, reason

    def eject(self, booking_id: int, reason: str, keep_sid: str | None = None) -> None:
        """Empty the room of *booking_id*: tell everyone why, then let nobody stay.

        Sockets on this process are told directly and disconnected. Those on other processes
        hear ``ejected`` through the message queue and leave the room with it; their own
        next event meets the same re-check. *keep_sid* is the socket whose event found the
        problem: it stays connected, out of the room, so its acknowledgement still reaches it.
        """
        room = f"video-{booking_id}"
        payload = {"booking_id": booking_id, "reason": reason}
        local = [sid for sid, m in self.members.items() if m.booking_id == booking_id]
        for sid in local:
            member = self.members[sid]
            member.ejected = reason
            member.peer_id = None
            # Straight to the socket, not through the queue, so it arrives before the close.
            self.socketio.emit(
                "ejected", payload, to=sid, namespace=self.namespace, ignore_queue=True
            )
        self.socketio.emit("ejected", payload, to=room, namespace=self.namespace, skip_sid=local)
        self.socketio.close_room(room, namespace=self.namespace)
        self.verdicts = {k: v for k, v in self.verdicts.items() if k[0] != booking_id}
        for sid in local:
            if sid != keep_sid:
                self.socketio.server.disconnect(sid, namespace=self.namespace)

    # -- presence and negotiation ------------------------------------------------------------

    def on_here(self, data: t.Any) -> None:
        """Answer a newcomer: "I am here too"."""
        member, _ = self._present()
        if member is None or not isinstance(data, dict):
            return
        payload = {**member.public(), "state": "here", "to": str(data.get("to", ""))}
        emit("presence", payload, to=member.room, skip_sid=_sid())

    def on_signal(self, data: t.Any) -> dict[str, t.Any]:
        member, reason = self._present()
        if member is None:
            return _error(reason)
        if not isinstance(data, dict) or data.get("kind") not in SIGNAL_KINDS:
            return _error("unknown signal")
        if len(str(data)) > MAX_SIGNAL:
            return _error("signal too large")
        relayed = {**data, "from": member.peer_id, "user_id": member.user_id, "role": member.role}
        emit("signal", relayed, to=member.room, skip_sid=_sid())
        return {"ok": True}

    def on_media(self, data: t.Any) -> dict[str, t.Any]:
        member, reason = self._present()
        if member is None:
            return _error(reason)
        member.media = _media(data)
        emit("media", member.public(), to=member.room, skip_sid=_sid())
        return {"ok": True}

    def on_ping(self, _data: t.Any = None) -> dict[str, t.Any]:
        return {"ok": True, "server_time": current_time().isoformat()}

    # -- chat --------------------------------------------------------------------------------

    def on_chat(self, data: t.Any) -> dict[str, t.Any]:
        member, reason = self._present()
        if member is None:
            return _error(reason)
        if member.user_id is None:
            return _error("only people chat")
        try:
            message, created = chat.post(member.booking_id, member.user_id, data)
        except chat.BadMessage as exc:
            return _error(str(exc))
        if not created:
            return {"ok": True, "message": message, "relayed": "already_stored"}
        forget_emit_reach()
        emit("chat", message, to=member.room, skip_sid=_sid())
        reach = last_emit_reach()
        answer = {"ok": True, "message": message, "relayed": reach}
        if reach == "this_process":
            # The line is stored, so nobody loses it; only its live delivery is cut short.
            answer["warning"] = (
                "saved, but shown live only to people on this server while the message "
                "queue is unreachable; the others see it when they reconnect"
            )
        return answer

    def on_history(self, data: t.Any = None) -> dict[str, t.Any]:
        member, reason = self._present()
        if member is None:
            return _error(reason)
        try:
            after = chat.after_id(data.get("after_id") if isinstance(data, dict) else None)
        except chat.BadMessage as exc:
            return _error(str(exc))
        return {"ok": True, "history": chat.history(member.booking_id, after)}

    # -- recording and the end of the session ------------------------------------------------

    def on_consent(self, data: t.Any) -> dict[str, t.Any]:
        member, reason = self._present()
        if member is None:
            return _error(reason)
        if member.role not in {"tutor", "learner"}:
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
        member, reason = self._present()
        if member is None:
            return _error(reason)
        if member.role not in {"tutor", "admin"}:
            return _error("only the tutor ends the session")
        booking = db.session.get(Booking, member.booking_id)
        user = db.session.get(User, member.user_id)
        assert booking is not None
        access.mark_ended(booking, user)
        emit("ended", {"by": member.user_id}, to=member.room)
        self.eject(booking.id, "the session has ended", keep_sid=_sid())
        return {"ok": True}

    # -- leaving -----------------------------------------------------------------------------

    def _depart(self, member: Member, sid: str) -> None:
        if member.peer_id is None:
            return
        emit("presence", {**member.public(), "state": "left"}, to=member.room, skip_sid=sid)
        leave_room(member.room)
        member.peer_id = None

    def on_leave(self, _data: t.Any = None) -> dict[str, t.Any]:
        member = self.members.get(_sid())
        if member is not None:
            self._depart(member, _sid())
        return {"ok": True}

    def on_disconnect(self, _reason: t.Any = None) -> None:
        member = self.members.pop(_sid(), None)
        if member is not None:
            self._depart(member, _sid())
            if not any(m.booking_id == member.booking_id for m in self.members.values()):
                # Nobody of this booking is left on this process: its verdicts are dead weight.
                self.verdicts = {
                    k: v for k, v in self.verdicts.items() if k[0] != member.booking_id
                }


def _media(data: t.Any) -> dict[str, bool]:
    data = data if isinstance(data, dict) else {}
    return {key: bool(data.get(key)) for key in ("camera", "mic", "screen")}


def close_if_refused(booking: Booking) -> None:
    """Empty the booking's room now if the booking no longer lets anyone in.

    Called from the booking service's announcement, in whatever process made the change; with
    a message queue the ``ejected`` reaches the room on every process.
    """
    try:
        access.check_open(booking, read_settings(current_app), current_time())
    except access.Refused as exc:
        reason = str(exc)
    else:
        return  # a move within the open window keeps the room as it is
    sio = current_app.extensions.get("socketio")
    server = getattr(sio, "server", None)
    namespace = server.namespace_handlers.get(NAMESPACE) if server is not None else None
    if isinstance(namespace, RoomNamespace):
        namespace.eject(booking.id, reason)
