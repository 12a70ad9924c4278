"""Many learners race for one tutor's overlapping slots at the same instant.

Each thread has its own test client and signed-in learner and waits at a barrier, so the
requests arrive together. Whatever the interleaving, the accepted bookings must not overlap
(checked from the database, buffers included), every refusal must be ``409 slot_taken``, and
each 201 must be a row in the database.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.booking import rules
from lti_tool.booking import writes
from lti_tool.models import AuditEntry
from lti_tool.models import Booking
from lti_tool.models import db
from lti_tool.scheduling.listing import tutor_slots
from tests.booking import NOW
from tests.booking import at
from tests.booking import count
from tests.booking import install_clock
from tests.booking import make_learners
from tests.booking import make_subject
from tests.booking import make_tutor
from tests.booking import sign_in

RACERS = 240
DURATIONS = (30, 45, 60, 90)


@pytest.mark.parametrize("decided_by", ["service", "database"])
def test_racing_learners_never_get_overlapping_bookings(
    app: Flask, monkeypatch: pytest.MonkeyPatch, decided_by: str
) -> None:
    install_clock(app)
    tutor = make_tutor([make_subject()], buffer_before_min=5, buffer_after_min=10)
    learners = make_learners(RACERS)
    # Every request is for a slot that is free when the race starts, in a 6-hour stretch.
    offered = {
        minutes: [s.start for s in tutor_slots(tutor, at(7, 10), at(7, 16), minutes, NOW)]
        for minutes in DURATIONS
    }
    rng = random.Random(20300107)
    requests = []
    for _ in range(RACERS):
        minutes = rng.choice(DURATIONS)
        requests.append(
            {
                "tutor_id": tutor.id,
                "subject": "algebra",
                "start": rng.choice(offered[minutes]).isoformat(),
                "duration": minutes,
            }
        )
    clients = [sign_in(app.test_client(), learner) for learner in learners]
    db.session.rollback()  # hold no read snapshot or lock while the race runs
    if decided_by == "database":
        # Without the tutor lock and the slot re-check, concurrent inserts meet only the
        # overlap guard (exclusion constraint or trigger), which must still decide alone.
        monkeypatch.setattr(writes, "lock_tutor", lambda session, tutor: None)
        monkeypatch.setattr(rules, "check_slot", lambda *args, **kwargs: None)

    barrier = threading.Barrier(RACERS)
    results: list[tuple[int, Any] | None] = [None] * RACERS

    def race(i: int) -> None:
        barrier.wait()
        response = clients[i].post("/api/v1/bookings", json=requests[i])
        results[i] = (response.status_code, response.json)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(RACERS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    elapsed = time.perf_counter() - began
    assert all(not thread.is_alive() for thread in threads)

    answered = [r for r in results if r is not None]
    assert len(answered) == RACERS
    accepted = [body for status, body in answered if status == 201]
    refused = [(status, body) for status, body in answered if status != 201]
    assert all(status == 409 and body["error"] == "slot_taken" for status, body in refused), {
        status for status, _ in refused
    }

    db.session.rollback()
    rows = db.session.execute(
        sa.select(Booking.id, Booking.block_start, Booking.block_end, Booking.state).order_by(
            Booking.block_start
        )
    ).all()
    assert len(accepted) == len(rows) == count(AuditEntry)
    assert {body["id"] for body in accepted} == {row.id for row in rows}
    assert all(row.state.value == "confirmed" for row in rows)
    for earlier, later in zip(rows, rows[1:], strict=False):
        assert earlier.block_end <= later.block_start, (earlier, later)
    # The race was real: several requests won, most lost.
    assert 2 <= len(rows) < RACERS / 4
    print(
        f"\n{decided_by}: {RACERS} racing requests, {len(rows)} booked, "
        f"{len(refused)} refused, {elapsed:.2f}s"
    )
