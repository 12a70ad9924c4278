"""Writing checked tutor rows with a handful of set-based statements per thousand rows.

Loading and saving one ORM object graph per tutor would take minutes for a large file; bulk
INSERT ... RETURNING and UPDATE-by-primary-key keep a 10,000-row import in seconds on both
SQLite and PostgreSQL. The caller owns the transaction.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable
from collections.abc import Iterator

import sqlalchemy as sa

from lti_tool.models import AvailabilityRule
from lti_tool.models import RoleName
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import UserRole
from lti_tool.models import db
from lti_tool.tutors.fields import model_default

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.tutors.csv_import import TutorRow

#: Profile columns an import sets; a blank CSV cell means the model's default.
IMPORTED_COLUMNS = (
    "timezone",
    "languages",
    "price_cents",
    "min_notice_min",
    "horizon_days",
    "interval_min",
    "session_lengths",
)
CHUNK = 1000
ProfileIndex = dict[str, tuple[int, int]]
UserIndex = dict[str, tuple[int, str | None, bool]]


def chunks(rows: list[TutorRow]) -> Iterator[list[TutorRow]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _profile_values(row: TutorRow) -> dict[str, t.Any]:
    values = {key: model_default(key) for key in IMPORTED_COLUMNS}
    values.update((key, row.settings[key]) for key in IMPORTED_COLUMNS if key in row.settings)
    return values


def _write_users(chunk: list[TutorRow], profiles: ProfileIndex, users: UserIndex) -> dict[str, int]:
    """User id per e-mail for the chunk: existing users are renamed, missing ones created."""
    session = db.session
    user_of: dict[str, int] = {}
    updates = []
    for row in chunk:
        known = profiles.get(row.external_id)
        uid = known[1] if known else users[row.email][0] if row.email in users else None
        if uid is not None:
            user_of[row.email] = uid
            updates.append({"id": uid, "name": row.name, "email": row.email})
    if updates:
        session.execute(sa.update(User), updates)
    fresh = [row for row in chunk if row.email not in user_of]
    if fresh:
        created = session.execute(
            sa.insert(User).returning(User.id, User.email, sort_by_parameter_order=True),
            [{"email": r.email, "name": r.name, "timezone": r.settings["timezone"]} for r in fresh],
        )
        # Every inserted row was given an address; the check only narrows the column's type.
        user_of.update((email, uid) for uid, email in created if email is not None)
    has_role = set(
        session.scalars(
            sa.select(UserRole.user_id).where(
                UserRole.user_id.in_(list(user_of.values())), UserRole.role == RoleName.TUTOR
            )
        )
    )
    missing = [{"user_id": uid, "role": RoleName.TUTOR} for uid in user_of.values()]
    missing = [entry for entry in missing if entry["user_id"] not in has_role]
    if missing:
        session.execute(sa.insert(UserRole), missing)
    return user_of


def _write_profiles(
    chunk: list[TutorRow], profiles: ProfileIndex, user_of: dict[str, int]
) -> dict[str, int]:
    """Profile id per external id; existing profiles lose their old rules and subjects."""
    session = db.session
    ids = {
        row.external_id: profiles[row.external_id][0]
        for row in chunk
        if row.external_id in profiles
    }
    if ids:
        session.execute(
            sa.update(TutorProfile),
            [
                {"id": ids[r.external_id], **_profile_values(r)}
                for r in chunk
                if r.external_id in ids
            ],
        )
        for model in (AvailabilityRule, TutorSubject):
            session.execute(
                sa.delete(model)
                .where(model.tutor_id.in_(list(ids.values())))
                .execution_options(synchronize_session=False)
            )
    fresh = [row for row in chunk if row.external_id not in ids]
    if fresh:
        created = session.execute(
            sa.insert(TutorProfile).returning(
                TutorProfile.id, TutorProfile.external_id, sort_by_parameter_order=True
            ),
            [
                {"user_id": user_of[r.email], "external_id": r.external_id, **_profile_values(r)}
                for r in fresh
            ],
        )
        # Every inserted row was given an external id; the check only narrows the column's type.
        ids.update((external, pid) for pid, external in created if external is not None)
    return ids


def write_tutors(
    rows: list[TutorRow],
    profiles: ProfileIndex,
    users: UserIndex,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Create or update every row's user, role, profile, subjects and weekly rules.

    :param profiles: existing profiles by external id, as (profile id, user id).
    :param users: existing users by e-mail, as (user id, their profile's external id, whether
        they have a profile).
    :returns: ``{external_id: tutor profile id}``.
    """
    session = db.session
    result: dict[str, int] = {}
    for chunk in chunks(rows):
        user_of = _write_users(chunk, profiles, users)
        ids = _write_profiles(chunk, profiles, user_of)
        rules = [
            {"tutor_id": ids[r.external_id], "weekday": rule.weekday}
            | {"start_time": rule.start, "end_time": rule.end}
            for r in chunk
            for rule in r.settings.get("rules", [])
        ]
        if rules:
            session.execute(sa.insert(AvailabilityRule), rules)
        links = [
            {"tutor_id": ids[r.external_id], "subject_id": subject_id, "level": level}
            for r in chunk
            for subject_id, level in r.subject_ids
        ]
        if links:
            session.execute(sa.insert(TutorSubject), links)
        result.update(ids)
        if progress is not None:
            progress(len(chunk))
    return result
