"""The booking service: checks, transitions, audit rows, plugin events and the cut-off policy."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool import hookimpl
from lti_tool.booking import BookingService
from lti_tool.booking import InvalidBooking
from lti_tool.booking import InvalidTransition
from lti_tool.booking import NotAllowed
from lti_tool.booking import PastCutoff
from lti_tool.booking import SlotNotOffered
from lti_tool.booking import SlotTaken
from lti_tool.booking import booking_service
from lti_tool.booking import rules
from lti_tool.booking import writes
from lti_tool.models import AuditEntry
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import RoleName
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.testing import app_in_context
from tests.booking import EventRecorder
from tests.booking import FakeClock
from tests.booking import PaidPlugin
from tests.booking import at
from tests.booking import count
from tests.booking import install_clock
from tests.booking import make_subject
from tests.booking import make_tutor
from tests.booking import make_user


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    return install_clock(app)


@pytest.fixture
def recorder(register_plugin: object) -> EventRecorder:
    plugin = EventRecorder()
    register_plugin(plugin)  # type: ignore[operator]
    return plugin


@pytest.fixture
def world(app: Flask, clock: FakeClock) -> tuple[TutorProfile, User]:
    subject = make_subject()
    return make_tutor([subject]), make_user("Lea Learner")


def audit_rows(booking_id: int) -> list[AuditEntry]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == "booking", AuditEntry.entity_id == booking_id)
            .order_by(AuditEntry.id)
        )
    )


def book(tutor: TutorProfile, learner: User, start: dt.datetime, minutes: int = 60) -> Booking:
    return booking_service().book(learner, tutor, tutor.subjects[0].subject, start, minutes)


def test_free_booking_is_confirmed_with_one_audit_row_and_one_event(
    world: tuple[TutorProfile, User], recorder: EventRecorder
) -> None:
    tutor, learner = world
    booking = book(tutor, learner, at(7, 10), 45)

    assert booking.state == BookingState.CONFIRMED
    assert (booking.start_at, booking.end_at) == (at(7, 10), at(7, 10, 45))
    assert booking.hold_expires_at is None
    assert booking.price_cents == 4500
    [row] = audit_rows(booking.id)
    assert (row.action, row.from_state, row.to_state) == ("confirmed", None, "confirmed")
    assert row.actor_id == learner.id
    assert row.detail["duration_min"] == 45
    # The plugin ran after the commit: another connection already saw the booking.
    assert recorder.events == [("confirmed", booking.id, "confirmed")]


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"minutes": 50}, InvalidBooking, "offers sessions of 30, 45, 60, 90 minutes"),
        ({"start": at(7, 21)}, SlotNotOffered, "does not offer that start"),
        ({"start": at(7, 10, 5)}, SlotNotOffered, "slot grid"),
        ({"start": at(7, 5)}, SlotNotOffered, "too soon"),
        ({"start": dt.datetime(2030, 1, 7, 10)}, InvalidBooking, "needs a UTC offset"),
        ({"subject": "other"}, InvalidBooking, "does not teach Other"),
        ({"learner": "tutor"}, InvalidBooking, "themselves"),
    ],
)
def test_invalid_requests_change_nothing(
    world: tuple[TutorProfile, User],
    recorder: EventRecorder,
    change: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    tutor, learner = world
    other = make_subject("other", "Other")
    subject = other if change.get("subject") else tutor.subjects[0].subject
    who = tutor.user if change.get("learner") else learner
    start = change.get("start", at(7, 10))
    minutes = change.get("minutes", 60)
    with pytest.raises(error, match=message):
        booking_service().book(who, tutor, subject, start, minutes)  # type: ignore[arg-type]
    assert count(Booking) == count(AuditEntry) == 0
    assert recorder.events == []


def test_an_occupied_slot_is_taken_and_a_touching_one_is_free(
    world: tuple[TutorProfile, User],
) -> None:
    tutor, learner = world
    book(tutor, learner, at(7, 10), 60)
    with pytest.raises(SlotTaken):
        book(tutor, make_user(), at(7, 10, 30), 30)
    book(tutor, make_user(), at(7, 11), 30)
    assert count(Booking) == 2


def test_buffers_are_stored_in_the_block_and_engine_and_database_agree(
    app: Flask, clock: FakeClock
) -> None:
    tutor = make_tutor([make_subject()], buffer_before_min=5, buffer_after_min=10)
    first = book(tutor, make_user(), at(7, 10), 30)
    assert (first.block_start, first.block_end) == (at(7, 9, 55), at(7, 10, 40))

    # 10:30 would need 10:25-11:10 clear; the block runs to 10:40.
    with pytest.raises(SlotTaken):
        book(tutor, make_user(), at(7, 10, 30), 30)
    # 10:45 pads to 10:40-11:25, which only touches the block.
    second = book(tutor, make_user(), at(7, 10, 45), 30)
    assert (second.block_start, second.block_end) == (at(7, 10, 40), at(7, 11, 25))


def test_the_database_guard_turns_into_slot_taken(
    world: tuple[TutorProfile, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    tutor, learner = world
    book(tutor, learner, at(7, 10), 60)
    # Without the slot check only the overlap guard in the database stands in the way.
    monkeypatch.setattr(rules, "check_slot", lambda *args, **kwargs: None)
    with pytest.raises(SlotTaken):
        book(tutor, make_user(), at(7, 10, 30), 60)
    assert count(Booking) == 1
    assert count(AuditEntry) == 1


def test_max_per_day_counts_bookings_of_the_tutor_local_day(app: Flask, clock: FakeClock) -> None:
    tutor = make_tutor([make_subject()], timezone="Asia/Tokyo", max_per_day=1)
    # 10:00 UTC on the 8th is 19:00 on the 8th in Tokyo.
    book(tutor, make_user(), at(8, 10), 30)
    with pytest.raises(SlotTaken):
        book(tutor, make_user(), at(8, 0), 30)  # 09:00 Tokyo, same local day
    book(tutor, make_user(), at(9, 0), 30)  # 09:00 Tokyo on the 9th


def test_confirm_a_hold_then_not_again(
    world: tuple[TutorProfile, User], recorder: EventRecorder
) -> None:
    tutor, learner = world
    booking = book(tutor, learner, at(7, 10))
    db.session.execute(
        sa.update(Booking)
        .where(Booking.id == booking.id)
        .values(state=BookingState.HELD, hold_expires_at=at(7, 6, 30))
    )
    db.session.commit()
    booking_service().confirm(booking)
    assert booking.state == BookingState.CONFIRMED
    assert booking.hold_expires_at is None
    with pytest.raises(InvalidTransition, match="is confirmed; it cannot be confirmed"):
        booking_service().confirm(booking)
    assert [r.action for r in audit_rows(booking.id)] == ["confirmed", "confirmed"]
    assert recorder.names(booking.id) == ["confirmed", "confirmed"]


def test_learner_cancels_before_the_cutoff_with_a_full_refund(
    world: tuple[TutorProfile, User], clock: FakeClock, recorder: EventRecorder
) -> None:
    tutor, learner = world
    booking = book(tutor, learner, at(9, 10))  # 52 hours ahead
    booking_service().cancel(booking, learner, "exam moved")

    assert booking.state == BookingState.CANCELLED
    assert (booking.cancel_reason, booking.cancelled_by_id) == ("exam moved", learner.id)
    assert booking.sequence == 1
    row = audit_rows(booking.id)[-1]
    assert (row.action, row.from_state, row.to_state) == ("cancelled", "confirmed", "cancelled")
    assert row.detail == {"reason": "exam moved", "refund": "full", "cancelled_by": "learner"}
    assert recorder.names(booking.id) == ["confirmed", "cancelled"]
    # Plugins (refunds) get the same decision the audit row keeps.
    assert recorder.details[-1] == row.detail
    # The time is free again.
    book(tutor, make_user(), at(9, 10))


def test_cutoff_policy(world: tuple[TutorProfile, User], clock: FakeClock) -> None:
    tutor, learner = world
    admin = make_user("Ada Admin", roles=[RoleName.ADMIN])
    stranger = make_user("Sam Stranger")
    a, b, c, d = (book(tutor, learner, at(8, hour)) for hour in (10, 12, 14, 11))
    clock.now = at(7, 13)  # 21, 23 and 22 hours before a, b and d: past the 24-hour cut-off

    with pytest.raises(PastCutoff, match="24 hours"):
        booking_service().cancel(a, learner, "too late")
    with pytest.raises(PastCutoff):
        booking_service().reschedule(a, at(8, 16), by=learner)
    with pytest.raises(NotAllowed):
        booking_service().cancel(a, stranger, "not mine")
    assert a.state == BookingState.CONFIRMED
    assert [r.action for r in audit_rows(a.id)] == ["confirmed"]

    # Only the learner's own late cancellation could keep their money, and it is refused:
    # whoever else calls a session off after the cut-off, the learner is refunded in full.
    booking_service().cancel(a, tutor.user, "ill")
    booking_service().cancel(b, admin, "platform outage")
    booking_service().cancel(d, None, "tutor account closed")
    assert audit_rows(a.id)[-1].detail["refund"] == "full"
    assert audit_rows(b.id)[-1].detail == {
        "reason": "platform outage",
        "refund": "full",
        "cancelled_by": "admin",
    }
    assert audit_rows(d.id)[-1].detail == {
        "reason": "tutor account closed",
        "refund": "full",
        "cancelled_by": "system",
    }
    with pytest.raises(InvalidTransition, match="is cancelled; it cannot be cancelled"):
        booking_service().cancel(a, tutor.user, "again")

    clock.now = at(8, 14, 5)  # c has started
    with pytest.raises(InvalidTransition, match="already started"):
        booking_service().cancel(c, tutor.user, "")


def test_reschedule_moves_the_booking_in_place(
    world: tuple[TutorProfile, User], recorder: EventRecorder
) -> None:
    tutor, learner = world
    booking = book(tutor, learner, at(9, 10), 60)
    book(tutor, make_user(), at(9, 12), 60)

    # Half an hour later overlaps the booking's own old time, which must not count.
    booking_service().reschedule(booking, at(9, 10, 30), by=learner)
    assert (booking.start_at, booking.end_at) == (at(9, 10, 30), at(9, 11, 30))
    assert (booking.block_start, booking.block_end) == (at(9, 10, 30), at(9, 11, 30))
    assert booking.sequence == 1
    assert booking.state == BookingState.CONFIRMED

    # A longer session that would run into the other booking is refused, and nothing moves.
    with pytest.raises(SlotTaken):
        booking_service().reschedule(booking, at(9, 11), 90, by=learner)
    with pytest.raises(InvalidBooking, match="offers sessions"):
        booking_service().reschedule(booking, at(9, 15), 50, by=learner)
    with pytest.raises(InvalidBooking, match="already at that time"):
        booking_service().reschedule(booking, at(9, 10, 30), by=learner)
    db.session.refresh(booking)
    assert booking.start_at == at(9, 10, 30)

    booking_service().reschedule(booking, at(9, 15), 90, by=tutor.user)
    assert (booking.duration_min, booking.sequence, booking.price_cents) == (90, 2, 9000)
    assert count(Booking) == 2
    rows = audit_rows(booking.id)
    assert [r.action for r in rows] == ["confirmed", "rescheduled", "rescheduled"]
    assert rows[1].detail["from_start"] == at(9, 10).isoformat()
    assert rows[1].detail["start"] == at(9, 10, 30).isoformat()
    assert (rows[1].from_state, rows[1].to_state) == ("confirmed", "confirmed")
    assert recorder.names(booking.id) == ["confirmed", "rescheduled", "rescheduled"]
    # Only the move that changed the length changed the price, and says so.
    assert "price_cents" not in rows[1].detail
    assert (rows[2].detail["from_price_cents"], rows[2].detail["price_cents"]) == (6000, 9000)


def test_complete_and_no_show_only_after_the_start(
    world: tuple[TutorProfile, User], clock: FakeClock, recorder: EventRecorder
) -> None:
    tutor, learner = world
    done, missed = book(tutor, learner, at(7, 10)), book(tutor, learner, at(7, 12))
    with pytest.raises(InvalidTransition, match="not started"):
        booking_service().complete(done)
    clock.now = at(7, 13)
    booking_service().complete(done, tutor.user)
    booking_service().mark_no_show(missed)
    assert (done.state, missed.state) == (BookingState.COMPLETED, BookingState.NO_SHOW)
    with pytest.raises(InvalidTransition):
        booking_service().cancel(done, tutor.user, "")
    assert [(r.action, r.actor_id) for r in audit_rows(done.id)][-1] == ("completed", tutor.user_id)
    assert [(r.action, r.actor_id) for r in audit_rows(missed.id)][-1] == ("no_show", None)
    assert recorder.names() == ["confirmed", "confirmed", "completed", "no_show"]


def test_a_failing_plugin_is_logged_and_others_still_hear(
    world: tuple[TutorProfile, User],
    register_plugin: object,
    recorder: EventRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken:
        @hookimpl
        def booking_event(self, event: str) -> None:
            raise RuntimeError("mail server down")

    register_plugin(Broken())  # type: ignore[operator]
    tutor, learner = world
    with caplog.at_level(logging.ERROR, logger="lti_tool.booking.announce"):
        booking = book(tutor, learner, at(7, 10))
    assert booking.state == BookingState.CONFIRMED
    assert count(Booking) == 1
    assert recorder.names() == ["confirmed"]
    assert "mail server down" in caplog.text


def test_the_service_works_with_an_injected_clock_and_session(
    world: tuple[TutorProfile, User],
) -> None:
    from lti_tool.plugins import pm

    tutor, learner = world
    clock = FakeClock(at(7, 9, 30))
    service = BookingService(db.session(), pm.hook, clock, hold_minutes=5, cancel_cutoff_hours=1)
    with pytest.raises(SlotNotOffered):
        service.book(learner, tutor, tutor.subjects[0].subject, at(7, 9), 30)
    booking = service.book(learner, tutor, tutor.subjects[0].subject, at(7, 11), 30)
    clock.advance(minutes=20)  # 1 hour 10 minutes before: inside a 1-hour cut-off still
    service.cancel(booking, learner, "")
    assert booking.state == BookingState.CANCELLED


def test_a_deadlocked_transaction_runs_again_from_the_start(
    world: tuple[TutorProfile, User], recorder: EventRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Deadlock(Exception):
        sqlstate = "40P01"

    real_flush = writes.flush
    calls: list[int] = []

    def flush_once_deadlocked(session: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.OperationalError("INSERT INTO bookings", {}, Deadlock())
        real_flush(session)

    monkeypatch.setattr(writes, "flush", flush_once_deadlocked)
    tutor, learner = world
    booking = book(tutor, learner, at(7, 10))
    assert len(calls) == 2
    assert count(Booking) == count(AuditEntry) == 1
    assert recorder.events == [("confirmed", booking.id, "confirmed")]


def test_a_lapsed_hold_cannot_be_moved(
    world: tuple[TutorProfile, User], clock: FakeClock, register_plugin: Any
) -> None:
    register_plugin(PaidPlugin())
    tutor, learner = world
    booking = book(tutor, learner, at(8, 10))
    clock.advance(minutes=31)
    with pytest.raises(InvalidTransition, match="is expired; it cannot be rescheduled"):
        booking_service().reschedule(booking, at(8, 12), by=learner)
    db.session.refresh(booking)
    assert (booking.state, booking.start_at) == (BookingState.HELD, at(8, 10))


@pytest.mark.parametrize(
    ("currency", "hourly", "minutes", "price"),
    [
        ("jpy", 3500, 45, 2625),
        # 772.5 cents: half-to-even would give 772.
        ("usd", 1030, 45, 773),
        # 9375 fils, but KWD is charged in steps of 10 fils: 937.5 steps go up to 938.
        ("kwd", 12500, 45, 9380),
    ],
)
def test_a_session_costs_its_share_of_the_hourly_price_rounded_half_up(
    database_url: str, currency: str, hourly: int, minutes: int, price: int
) -> None:
    with app_in_context(database_url, currency=currency) as app:
        install_clock(app)
        tutor = make_tutor([make_subject()], price_cents=hourly)
        booking = book(tutor, make_user(), at(8, 10), minutes)
        assert (booking.price_cents, booking.currency) == (price, currency)
        assert tutor.price_for(minutes, currency) == price


def test_a_hold_whose_price_changes_is_held_afresh(
    world: tuple[TutorProfile, User],
    clock: FakeClock,
    register_plugin: Any,
    recorder: EventRecorder,
) -> None:
    register_plugin(PaidPlugin())
    tutor, learner = world
    booking = book(tutor, learner, at(8, 10), 60)
    assert (booking.state, booking.hold_expires_at) == (BookingState.HELD, at(7, 6, 30))

    # Moving it without changing its length keeps the payment, so it keeps its hold.
    clock.advance(minutes=10)
    booking_service().reschedule(booking, at(8, 12), by=learner)
    assert booking.hold_expires_at == at(7, 6, 30)
    assert "price_cents" not in recorder.details[-1]

    # A longer session costs more: the payment starts again at the new price, with a full hold.
    clock.advance(minutes=10)
    booking_service().reschedule(booking, at(8, 12), 90, by=learner)
    db.session.refresh(booking)
    assert booking.state == BookingState.HELD
    assert booking.price_cents == 9000
    assert booking.hold_expires_at == at(7, 6, 50)
    detail = audit_rows(booking.id)[-1].detail
    assert (detail["from_price_cents"], detail["price_cents"]) == (6000, 9000)
    assert recorder.details[-1] == detail
    # The fresh hold is what counts: the booking outlives the first hold's end.
    clock.advance(minutes=15)
    booking_service().expire_holds()
    db.session.refresh(booking)
    assert booking.state == BookingState.HELD


def test_a_paid_booking_cannot_change_its_price(
    world: tuple[TutorProfile, User], register_plugin: Any
) -> None:
    register_plugin(PaidPlugin())
    tutor, learner = world
    booking = book(tutor, learner, at(8, 10), 60)
    booking_service().confirm(booking)
    with pytest.raises(InvalidBooking, match="changes the price of a paid booking"):
        booking_service().reschedule(booking, at(8, 12), 90, by=learner)
    db.session.refresh(booking)
    assert (booking.price_cents, booking.duration_min) == (6000, 60)
