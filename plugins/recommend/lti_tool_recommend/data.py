"""The training set, read from the tool's tables in a handful of aggregate queries.

Signals and their weights: a completed session counts by its rating (an unrated one as a
three-star one), a booking that did not (yet) take place counts less, a favourite counts like
a good session, and an imported interaction brings its own weight. The weights of one
learner-tutor pair add up, capped so that one regular does not outweigh everyone else.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field

import numpy as np
import scipy.sparse as sp
import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm import Session

from lti_tool.api import Booking
from lti_tool.api import BookingState
from lti_tool.api import Favourite
from lti_tool.api import LearnerInterest
from lti_tool.api import Review
from lti_tool.api import Subject
from lti_tool.api import TutorProfile
from lti_tool.api import TutorSubject
from lti_tool.api import User
from lti_tool.api import tutor_ratings
from lti_tool_recommend.features import identity
from lti_tool_recommend.features import learner_features
from lti_tool_recommend.features import tutor_features
from lti_tool_recommend.models import Interaction

RATING_WEIGHT = {1: 0.25, 2: 0.5, 3: 1.0, 4: 1.5, 5: 2.0}
UNRATED_WEIGHT = 1.0
STATE_WEIGHT = {
    BookingState.HELD: 0.5,
    BookingState.CONFIRMED: 0.5,
    BookingState.NO_SHOW: 0.25,
    BookingState.CANCELLED: 0.25,
    BookingState.EXPIRED: 0.25,
}
FAVOURITE_WEIGHT = 1.5
MAX_PAIR_WEIGHT = 5.0


@dataclass
class TrainingSet:
    learner_ids: list[int]
    tutor_ids: list[int]
    learner_rows: list[list[str]]
    """Feature names per learner, identity first, in ``learner_ids`` order."""
    tutor_rows: list[list[str]]
    interactions: sp.coo_matrix
    """1 where a learner and a tutor have any signal; ``weights`` has the same pattern."""
    weights: sp.coo_matrix
    summary: dict[str, int] = field(default_factory=dict)


def _subjects_by(
    session: Session,
    owner: InstrumentedAttribute[int],
    subject: InstrumentedAttribute[int],
    level: InstrumentedAttribute[str],
    ids: list[int] | None,
) -> dict[int, list[tuple[str, str]]]:
    query = sa.select(owner, Subject.slug, level).join(Subject, Subject.id == subject)
    if ids is not None:
        query = query.where(owner.in_(ids))
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for owner_id, slug, its_level in session.execute(query.order_by(Subject.slug)):
        found[owner_id].append((slug, its_level))
    return found


def tutor_subjects(
    session: Session, tutor_ids: list[int] | None = None
) -> dict[int, list[tuple[str, str]]]:
    """[(subject slug, level)] by tutor id."""
    return _subjects_by(
        session, TutorSubject.tutor_id, TutorSubject.subject_id, TutorSubject.level, tutor_ids
    )


def learner_interests(
    session: Session, user_ids: list[int] | None = None
) -> dict[int, list[tuple[str, str]]]:
    """[(subject slug, level)] by user id."""
    return _subjects_by(
        session,
        LearnerInterest.user_id,
        LearnerInterest.subject_id,
        LearnerInterest.level,
        user_ids,
    )


def _signals(session: Session) -> dict[tuple[int, int], float]:
    pairs: dict[tuple[int, int], float] = defaultdict(float)
    bookings = (
        sa.select(
            Booking.learner_id, Booking.tutor_id, Booking.state, Review.rating, sa.func.count()
        )
        .outerjoin(Review, Review.booking_id == Booking.id)
        .group_by(Booking.learner_id, Booking.tutor_id, Booking.state, Review.rating)
    )
    for learner_id, tutor_id, state, rating, count in session.execute(bookings):
        if state == BookingState.COMPLETED:
            weight = RATING_WEIGHT.get(rating, UNRATED_WEIGHT)
        else:
            weight = STATE_WEIGHT.get(state, 0.0)
        pairs[learner_id, tutor_id] += weight * count
    for user_id, tutor_id in session.execute(sa.select(Favourite.user_id, Favourite.tutor_id)):
        pairs[user_id, tutor_id] += FAVOURITE_WEIGHT
    imported = sa.select(
        Interaction.user_id, Interaction.tutor_id, sa.func.sum(Interaction.weight)
    ).group_by(Interaction.user_id, Interaction.tutor_id)
    for user_id, tutor_id, weight in session.execute(imported):
        pairs[user_id, tutor_id] += float(weight)
    return pairs


def load_training_set(session: Session, at: dt.datetime) -> TrainingSet:
    """Every tutor, every learner with a signal or a stated interest, and their pairs."""
    tutors = session.execute(
        sa.select(
            TutorProfile.id, TutorProfile.languages, TutorProfile.price_cents, TutorProfile.timezone
        ).order_by(TutorProfile.id)
    ).all()
    subjects, ratings = tutor_subjects(session), tutor_ratings(session)
    tutor_ids = [row.id for row in tutors]
    tutor_rows = [
        [identity("t", row.id)]
        + tutor_features(
            subjects.get(row.id, []),
            row.languages or [],
            row.price_cents,
            row.timezone,
            ratings.get(row.id, (None, 0)),
            at,
        )
        for row in tutors
    ]
    known_tutors = set(tutor_ids)
    pairs = {
        pair: min(weight, MAX_PAIR_WEIGHT)
        for pair, weight in _signals(session).items()
        if weight > 0 and pair[1] in known_tutors
    }
    interests = learner_interests(session)
    wanted = sorted({user_id for user_id, _ in pairs} | set(interests))
    people = {
        row.id: row
        for row in session.execute(
            sa.select(User.id, User.languages, User.timezone).where(User.id.in_(wanted))
        )
    }
    learner_ids = [user_id for user_id in wanted if user_id in people]
    learner_rows = [
        [identity("u", uid)]
        + learner_features(
            interests.get(uid, []), people[uid].languages or [], people[uid].timezone, at
        )
        for uid in learner_ids
    ]
    row_of = {uid: i for i, uid in enumerate(learner_ids)}
    col_of = {tid: j for j, tid in enumerate(tutor_ids)}
    kept = [(row_of[u], col_of[t], w) for (u, t), w in sorted(pairs.items()) if u in row_of]
    rows = np.array([r for r, _, _ in kept], dtype=np.int32)
    cols = np.array([c for _, c, _ in kept], dtype=np.int32)
    shape = (len(learner_ids), len(tutor_ids))
    weights = np.array([w for _, _, w in kept], dtype=np.float32)
    completed = session.scalar(
        sa.select(sa.func.count()).where(Booking.state == BookingState.COMPLETED)
    )
    return TrainingSet(
        learner_ids=learner_ids,
        tutor_ids=tutor_ids,
        learner_rows=learner_rows,
        tutor_rows=tutor_rows,
        interactions=sp.coo_matrix((np.ones_like(weights), (rows, cols)), shape=shape),
        weights=sp.coo_matrix((weights, (rows, cols)), shape=shape),
        summary={
            "learners": len(learner_ids),
            "tutors": len(tutor_ids),
            "pairs": len(kept),
            "completed_sessions": int(completed or 0),
            "learners_with_history": len({r for r, _, _ in kept}),
        },
    )
