"""Answering ``recommend_tutors`` from a trained model.

Candidates are narrowed in SQL (active, teaching the subject, within the price), by language
in memory, and scored against the learner's representation. With ``free_within_days`` the
ranked list is walked in batches, each checked for free time in a fixed number of queries,
until enough tutors are found.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from lti_tool.api import Subject
from lti_tool.api import TutorProfile
from lti_tool.api import TutorSubject
from lti_tool.api import User
from lti_tool.api import first_free_slots
from lti_tool.api import tutor_ratings
from lti_tool_recommend.data import learner_interests
from lti_tool_recommend.data import tutor_subjects
from lti_tool_recommend.features import identity
from lti_tool_recommend.features import learner_features
from lti_tool_recommend.features import tutor_features
from lti_tool_recommend.model import TrainedModel
from lti_tool_recommend.scoring import scores
from lti_tool_recommend.scoring import top_k


def learner_names(
    session: Session, learner: User | None, subject: Subject | None, now: dt.datetime
) -> list[str]:
    """The learner's features, plus the subject asked for now as something they want."""
    # Someone anonymous still has an identity slot, so every learner is weighted alike.
    names: list[str] = [identity("u", "anonymous")]
    if learner is not None:
        interests = learner_interests(session, [learner.id]).get(learner.id, [])
        names = [identity("u", learner.id)]
        names += learner_features(interests, learner.languages or [], learner.timezone, now)
    if subject is not None and f"want:{subject.slug}" not in names:
        names.append(f"want:{subject.slug}")
    return names


def candidate_ids(
    session: Session, subject: Subject | None, filters: dict[str, t.Any]
) -> list[int]:
    query = sa.select(TutorProfile.id, TutorProfile.languages).where(
        TutorProfile.is_active.is_(True)
    )
    if subject is not None:
        teaching = sa.select(TutorSubject.tutor_id).where(TutorSubject.subject_id == subject.id)
        query = query.where(TutorProfile.id.in_(teaching))
    if (max_price := filters.get("max_price_cents")) is not None:
        query = query.where(TutorProfile.price_cents <= int(max_price))
    language = filters.get("language")
    # Languages are a JSON list, which SQLite and PostgreSQL search differently; the few
    # hundred rows of a subject are cheaper to check here than to special-case.
    return [
        row.id
        for row in session.execute(query.order_by(TutorProfile.id))
        if not language or language in (row.languages or [])
    ]


def _unseen_representations(
    model: TrainedModel, session: Session, tutor_ids: list[int], now: dt.datetime
) -> tuple[np.ndarray, np.ndarray]:
    """Tutors who joined after training, represented by their attributes alone."""
    rows = session.execute(
        sa.select(
            TutorProfile.id, TutorProfile.languages, TutorProfile.price_cents, TutorProfile.timezone
        ).where(TutorProfile.id.in_(tutor_ids))
    )
    by_id = {row.id: row for row in rows}
    subjects, ratings = tutor_subjects(session, tutor_ids), tutor_ratings(session, tutor_ids)
    names = [
        [identity("t", tid)]
        + tutor_features(
            subjects.get(tid, []),
            by_id[tid].languages or [],
            by_id[tid].price_cents,
            by_id[tid].timezone,
            ratings.get(tid, (None, 0)),
            now,
        )
        for tid in tutor_ids
    ]
    return model.tutor_representations(names)


def score_tutors(
    model: TrainedModel,
    session: Session,
    learner_vector: np.ndarray,
    tutor_ids: list[int],
    now: dt.datetime,
) -> np.ndarray:
    """Scores of *tutor_ids*, in their order."""
    result = np.empty(len(tutor_ids), dtype=np.float32)
    known = [i for i, tid in enumerate(tutor_ids) if tid in model.tutor_row]
    if known:
        everyone = scores(learner_vector, model.tutor_vectors, model.tutor_offsets)
        result[known] = everyone[[model.tutor_row[tutor_ids[i]] for i in known]]
    unseen = [i for i, tid in enumerate(tutor_ids) if tid not in model.tutor_row]
    if unseen:
        vectors, offsets = _unseen_representations(
            model, session, [tutor_ids[i] for i in unseen], now
        )
        result[unseen] = scores(learner_vector, vectors, offsets)
    return result


def _with_free_time(
    session: Session, ranked: list[int], limit: int, days: int, now: dt.datetime
) -> list[int]:
    chosen: list[int] = []
    step = max(3 * limit, 30)
    for first in range(0, len(ranked), step):
        batch = ranked[first : first + step]
        free = first_free_slots(session, batch, now, days)
        chosen.extend(tid for tid in batch if tid in free)
        if len(chosen) >= limit:
            break
    return chosen[:limit]


def recommend(
    model: TrainedModel,
    session: Session,
    learner: User | None,
    subject: Subject | None,
    limit: int,
    filters: dict[str, t.Any],
    now: dt.datetime,
) -> list[TutorProfile]:
    """The best *limit* tutors for *learner* that pass *filters*, best first."""
    if limit <= 0:
        return []
    ids = candidate_ids(session, subject, filters)
    if not ids:
        return []
    vector = model.learner_vector(learner_names(session, learner, subject, now))
    values = score_tutors(model, session, vector, ids, now)
    days = filters.get("free_within_days")
    if days is None:
        chosen = [ids[i] for i in top_k(values, limit)]
    else:
        ranked = [ids[i] for i in top_k(values, len(ids))]
        chosen = _with_free_time(session, ranked, limit, int(days), now)
    profiles = session.scalars(sa.select(TutorProfile).where(TutorProfile.id.in_(chosen)))
    by_id = {profile.id: profile for profile in profiles}
    return [by_id[tid] for tid in chosen if tid in by_id]
