"""The next free slot of many tutors at once, for filtering and for reasons.

One batch costs a fixed number of queries whatever its size: the tutors with their weekly
rules and date exceptions, and one query for the bookings of all of them
(:func:`lti_tool.scheduling.listing.busy_by_tutor`); the slot engine then runs per tutor in
memory. Each tutor is asked for its shortest session length, the easiest to fit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm import selectinload

from lti_tool.models import Booking
from lti_tool.models import TutorProfile
from lti_tool.scheduling import free_slots
from lti_tool.scheduling.listing import busy_by_tutor
from lti_tool.tutors import policy_for
from lti_tool.tutors import slot_inputs

#: Tutors per batch: enough for a page of results, few enough for one ``IN`` list.
BATCH = 200


def _first_free(
    tutor: TutorProfile, busy: Sequence[object], start: dt.datetime, end: dt.datetime
) -> dt.datetime | None:
    if not tutor.is_active or not tutor.session_lengths:
        return None
    rules, overrides = slot_inputs(tutor)
    if not rules and not any(o.kind == "extra" for o in overrides):
        return None
    policy = policy_for(tutor, min(tutor.session_lengths))
    slots = free_slots(tutor.timezone, rules, overrides, busy, policy, start, end, start)  # type: ignore[arg-type]
    return slots[0].start if slots else None


def next_free_slots(
    session: Session, tutor_ids: Iterable[int], now: dt.datetime, days: int
) -> dict[int, dt.datetime]:
    """Start of each tutor's first free slot in ``[now, now + days)``; tutors with none are
    left out."""
    ids = list(dict.fromkeys(tutor_ids))
    end = now + dt.timedelta(days=days)
    found: dict[int, dt.datetime] = {}
    for first in range(0, len(ids), BATCH):
        batch = ids[first : first + BATCH]
        tutors = session.scalars(
            sa.select(TutorProfile)
            .where(TutorProfile.id.in_(batch))
            .options(
                selectinload(TutorProfile.rules),
                selectinload(TutorProfile.overrides),
            )
        ).all()
        busy = busy_by_tutor(session, Booking.tutor_id.in_(batch), now, end, now)
        for tutor in tutors:
            start = _first_free(tutor, busy.get(tutor.id, []), now, end)
            if start is not None:
                found[tutor.id] = start
    return found
