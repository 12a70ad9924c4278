"""The first free slot of many tutors, in a fixed number of queries.

For the catalog's "free this week" and "next free" and for the recommender's filters and
reasons. Tutors come with their weekly rules and date exceptions loaded in batches; the
bookings of all of them are read in one query (:func:`lti_tool.scheduling.listing.busy_by_tutor`),
and the slot engine then runs per tutor in memory. Each tutor is asked for their shortest
session length, the one most likely to fit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import selectinload

from lti_tool.models import Booking
from lti_tool.models import TutorProfile
from lti_tool.scheduling.listing import busy_by_tutor
from lti_tool.scheduling.slots import free_slots
from lti_tool.tutors.settings import policy_for
from lti_tool.tutors.settings import slot_inputs

#: Tutors looked at per round: large enough for a page, small enough for one ``IN`` list.
CHUNK = 200


def load_tutors(session: Session, ids: Sequence[int]) -> list[TutorProfile]:
    """The tutors with *ids*, in that order, with everything a card and the engine read."""
    rows = session.scalars(
        sa.select(TutorProfile)
        .where(TutorProfile.id.in_(ids))
        .options(
            joinedload(TutorProfile.user),
            selectinload(TutorProfile.rules),
            selectinload(TutorProfile.overrides),
        )
    ).unique()
    by_id = {tutor.id: tutor for tutor in rows}
    return [by_id[i] for i in ids if i in by_id]


def first_free(
    session: Session, tutors: Sequence[TutorProfile], now: dt.datetime, days: int
) -> dict[int, dt.datetime]:
    """Start of each tutor's first free slot from *now* to *days* ahead; a tutor with none
    is absent. *tutors* should come from :func:`load_tutors`."""
    if not tutors:
        return {}
    end = now + dt.timedelta(days=days)
    ids = [tutor.id for tutor in tutors]
    busy = busy_by_tutor(session, Booking.tutor_id.in_(ids), now, end, now)
    found: dict[int, dt.datetime] = {}
    for tutor in tutors:
        if not tutor.is_active or not tutor.session_lengths:
            continue
        rules, overrides = slot_inputs(tutor)
        if not rules and not any(o.kind == "extra" for o in overrides):
            continue
        policy = policy_for(tutor, min(tutor.session_lengths))
        slots = free_slots(
            tutor.timezone, rules, overrides, busy.get(tutor.id, []), policy, now, end, now
        )
        if slots:
            found[tutor.id] = slots[0].start
    return found


def first_free_slots(
    session: Session, ids: Iterable[int], now: dt.datetime, days: int
) -> dict[int, dt.datetime]:
    """Start of each tutor's first free slot in ``[now, now + days)``, for any number of tutor
    ids, a chunk at a time; tutors with none are left out."""
    pending = list(dict.fromkeys(ids))
    found: dict[int, dt.datetime] = {}
    for first in range(0, len(pending), CHUNK):
        chunk = load_tutors(session, pending[first : first + CHUNK])
        found.update(first_free(session, chunk, now, days))
    return found
