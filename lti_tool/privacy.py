"""A person's data: everything the tool keeps about them, and erasing it.

Erasure keeps what others rely on and what the law asks to keep: the bookings themselves (a
tutor's history, an institution's report, the gradebook), payments and refunds (accounting)
and audit rows (who changed what, with the person now anonymous). Everything that names or
describes the person goes: name, e-mail, password, time zone, languages, LTI identities,
interests, favourites, the words they wrote (reviews, cancellation reasons) and, for a tutor,
their profile text. The rating of a review stays, so tutors' averages still add up. Plugins
(room chat and recordings, imported history) add their part to an export and remove their
own copies on erasure through the ``person_data`` and ``person_erased`` hooks.

What is kept for a limited time only (room chat, recordings) is a plugin's to sweep:
:func:`sweep` asks each through the ``retention_sweep`` hook.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import typing as t
from dataclasses import dataclass
from dataclasses import field

import sqlalchemy as sa

from lti_tool.database import write_transaction
from lti_tool.models import AuditEntry
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Course
from lti_tool.models import Enrollment
from lti_tool.models import Favourite
from lti_tool.models import LearnerInterest
from lti_tool.models import LtiIdentity
from lti_tool.models import Payment
from lti_tool.models import Review
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.plugins import pm

log = logging.getLogger(__name__)

ERASED_NAME = "Erased person"
#: Keys of an audit row's detail that may hold someone's own words.
FREE_TEXT_KEYS = ("reason",)
OPEN = (BookingState.HELD, BookingState.CONFIRMED)


class ErasureRefused(Exception):
    """The person cannot be erased yet; the message says what to do first."""


@dataclass
class Erasure:
    """What an erasure did: the person's id, and the plugins that failed to remove their part."""

    user_id: int
    failed_plugins: list[str] = field(default_factory=list)


def export_instant(value: dt.datetime | None) -> str | None:
    """An instant as an export writes it: ISO 8601 in UTC, with a Z."""
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _takes_part(user: User) -> sa.ColumnElement[bool]:
    """Bookings *user* is the learner or the tutor of."""
    tutor_ids = sa.select(TutorProfile.id).where(TutorProfile.user_id == user.id)
    return sa.or_(Booking.learner_id == user.id, Booking.tutor_id.in_(tutor_ids))


def booking_ids_of(user: User) -> list[int]:
    """The ids of the bookings *user* is the learner or the tutor of."""
    return list(db.session.scalars(sa.select(Booking.id).where(_takes_part(user))))


def _bookings_of(user: User) -> sa.Select[Booking]:
    return sa.select(Booking).where(_takes_part(user))


def export_person(user: User) -> dict[str, t.Any]:
    """Everything the tool keeps about *user*, as JSON-ready data."""
    session = db.session
    bookings = session.scalars(_bookings_of(user).order_by(Booking.start_at)).all()
    booking_ids = [b.id for b in bookings]
    profile = user.tutor_profile
    courses = session.execute(
        sa.select(Course.title, Course.label, Enrollment.roles)
        .join(Enrollment, Enrollment.course_id == Course.id)
        .where(Enrollment.user_id == user.id)
    ).all()
    return {
        "exported_at": export_instant(dt.datetime.now(dt.UTC)),
        "person": {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "timezone": user.timezone,
            "languages": list(user.languages or []),
            "roles": [str(role.role) for role in user.roles],
            "email_verified_at": export_instant(user.email_verified_at),
            "created_at": export_instant(user.created_at),
        },
        "lti_identities": [
            {"issuer": identity.issuer, "sub": identity.sub} for identity in user.identities
        ],
        "courses": [
            {"title": title, "label": label, "roles": roles} for title, label, roles in courses
        ],
        "tutor_profile": None
        if profile is None
        else {
            "headline": profile.headline,
            "bio": profile.bio,
            "timezone": profile.timezone,
            "price_cents": profile.price_cents,
        },
        "interests": [
            {"subject_id": i.subject_id, "level": i.level}
            for i in session.scalars(
                sa.select(LearnerInterest).where(LearnerInterest.user_id == user.id)
            )
        ],
        "favourite_tutor_ids": list(
            session.scalars(sa.select(Favourite.tutor_id).where(Favourite.user_id == user.id))
        ),
        "bookings": [
            {
                "uid": b.uid,
                "as": "learner" if b.learner_id == user.id else "tutor",
                "subject": b.subject.name,
                "start_utc": export_instant(b.start_at),
                "end_utc": export_instant(b.end_at),
                "state": b.state.value,
                "price_cents": b.price_cents,
                "currency": b.currency,
                "cancel_reason": b.cancel_reason,
            }
            for b in bookings
        ],
        "payments": [
            {
                "booking_id": p.booking_id,
                "amount_cents": p.amount_cents,
                "currency": p.currency,
                "status": p.status,
                "refunded_cents": p.refunded_cents,
            }
            for p in session.scalars(sa.select(Payment).where(Payment.booking_id.in_(booking_ids)))
        ],
        "reviews_written": [
            {"booking_id": r.booking_id, "rating": r.rating, "comment": r.comment}
            for r in session.scalars(
                sa.select(Review)
                .join(Booking, Booking.id == Review.booking_id)
                .where(Booking.learner_id == user.id)
            )
        ],
        "plugins": _plugin_parts(user),
    }


def _plugin_parts(user: User) -> dict[str, t.Any]:
    parts: dict[str, t.Any] = {}
    for answer in pm.hook.person_data(user=user):
        if answer:
            parts.update(answer)
    return parts


def erase_person(user: User, *, now: dt.datetime, cancel_upcoming: bool = False) -> Erasure:
    """Erase what names or describes *user*: the core's part in one transaction, then each
    plugin's part (a plugin that fails is named in the answer; erasing again retries it).

    :raises ErasureRefused: *user* is in a session right now (erase them after it ends), or
        has upcoming open sessions and *cancel_upcoming* is false (cancel them first, so the
        other side and any refund are taken care of).
    """
    open_ones = db.session.scalars(
        _bookings_of(user).where(Booking.state.in_(OPEN), Booking.end_at > now)
    ).all()
    # A session that has started can no longer be cancelled, and erasing one of its two people
    # mid-session would leave the other talking to "Erased person".
    running = [booking for booking in open_ones if booking.start_at <= now]
    if running:
        ends = max(booking.end_at for booking in running)
        raise ErasureRefused(
            f"a session is in progress until {export_instant(ends)}; erase after it ends"
        )
    if open_ones and not cancel_upcoming:
        raise ErasureRefused(
            f"{len(open_ones)} upcoming session(s) are still open; cancel them first or "
            "pass --cancel-upcoming"
        )
    if open_ones:
        from lti_tool.booking import booking_service

        service = booking_service()
        for booking in open_ones:
            service.cancel(booking, None, "The account was closed.")
    session = db.session()
    booking_ids = booking_ids_of(user)
    with write_transaction(session):
        _erase(session, user)
    erasure = Erasure(user.id)
    # Called one plugin at a time, so one plugin's failure does not keep the others from
    # removing their copies.
    offered = {"user": user, "booking_ids": booking_ids}
    for implementation in pm.hook.person_erased.get_hookimpls():
        # Like pluggy itself, hand each implementation only the arguments it names.
        arguments = {name: offered[name] for name in implementation.argnames}
        try:
            implementation.function(**arguments)
        except Exception:
            log.exception(
                "plugin %s could not erase person %s", implementation.plugin_name, user.id
            )
            erasure.failed_plugins.append(implementation.plugin_name)
    return erasure


def _erase(session: sa.orm.Session, user: User) -> None:
    user.name = ERASED_NAME
    user.email = None
    user.password_hash = None
    user.timezone = None
    user.external_id = None
    user.email_verified_at = None
    user.languages = []
    user.is_active = False
    # A new token ends every calendar feed that was handed out.
    user.calendar_token = secrets.token_urlsafe(32)
    for model in (LtiIdentity, LearnerInterest, Favourite):
        session.execute(sa.delete(model).where(model.user_id == user.id))
    profile = user.tutor_profile
    if profile is not None:
        profile.headline = ""
        profile.bio = ""
        profile.is_active = False
    booking_ids = sa.select(Booking.id).where(_takes_part(user))
    session.execute(sa.update(Booking).where(Booking.id.in_(booking_ids)).values(cancel_reason=""))
    session.execute(
        sa.update(Review)
        .where(Review.booking_id.in_(sa.select(Booking.id).where(Booking.learner_id == user.id)))
        .values(comment="")
    )
    entries = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "booking", AuditEntry.entity_id.in_(booking_ids)
        )
    )
    for entry in entries:
        if any(key in (entry.detail or {}) for key in FREE_TEXT_KEYS):
            entry.detail = {k: v for k, v in entry.detail.items() if k not in FREE_TEXT_KEYS}


def sweep(now: dt.datetime) -> dict[str, int]:
    """Delete what has outlived its retention period: each plugin sweeps its own data (the
    video plugin, room chat past ``chat_retention_days`` and recordings).

    :returns: how many items of each kind were deleted.
    """
    deleted: dict[str, int] = {}
    for answer in pm.hook.retention_sweep(now=now):
        for kind, count in (answer or {}).items():
            deleted[kind] = deleted.get(kind, 0) + count
    return deleted
