"""Reminders a day and an hour before a session reach both people once, with the invite, even
with two workers looking at the same minute; a session cancelled or booked late gets what it
should and no more."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask

from lti_tool.booking import booking_service
from lti_tool.jobs.runner import run_due
from lti_tool.models import BookingState
from lti_tool.models import db
from lti_tool.reminders import ask_for_due_reminders
from lti_tool.testing import make_booking
from tests.booking import FakeClock
from tests.booking import install_clock
from tests.standalone.journey import MailServer
from tests.standalone.journey import running_mail_server
from tests.standalone.journey import text_of
from tests.tutors import make_tutor
from tests.tutors import make_user

START = dt.datetime(2030, 5, 14, 15, tzinfo=dt.UTC)
WORKERS = 2


@pytest.fixture
def mail(app: Flask) -> Iterator[MailServer]:
    with running_mail_server() as server:
        app.config.update({key.upper(): value for key, value in server.settings().items()})
        yield server


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    return install_clock(app, START - dt.timedelta(days=3))


def two_workers_look(app: Flask) -> None:
    """What two workers do in the same minute: each asks for the due reminders and runs jobs."""
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            try:
                barrier.wait()
                ask_for_due_reminders(app.config["CLOCK"]())
                run_due()
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def subjects_to(mail: MailServer, address: str) -> Counter[str]:
    return Counter(str(m["Subject"]) for m in mail.to(address))


def test_each_person_is_reminded_a_day_and_an_hour_before_once(
    app: Flask, mail: MailServer, clock: FakeClock
) -> None:
    tutor = make_tutor(name="Tess Tutor", timezone="Asia/Tokyo")
    learner = make_user(name="Lee Learner")
    learner.timezone = "America/Lima"
    db.session.commit()
    booking = make_booking(tutor, learner, START)
    db.session.commit()
    assert learner.email and tutor.user.email

    clock.now = START - dt.timedelta(hours=24, minutes=1)
    two_workers_look(app)
    assert mail.messages == []

    clock.now = START - dt.timedelta(hours=23, minutes=59)
    two_workers_look(app)
    two_workers_look(app)
    day = "Reminder: Algebra with {} tomorrow"
    assert subjects_to(mail, learner.email) == {day.format("Tess Tutor"): 1}
    assert subjects_to(mail, tutor.user.email) == {day.format("Lee Learner"): 1}
    (to_learner,) = mail.to(learner.email)
    # Her own zone: 15:00 UTC is 10:00 in Lima.
    assert "Tuesday 14 May 2030 at 10:00 (America/Lima)" in text_of(to_learner)
    assert f"/rooms/{booking.id}" in text_of(to_learner)
    (invite,) = [part for part in to_learner.iter_attachments()]
    assert invite.get_content_type() == "text/calendar"
    assert b"BEGIN:VEVENT" in invite.get_payload(decode=True)

    clock.now = START - dt.timedelta(minutes=59)
    two_workers_look(app)
    clock.now = START - dt.timedelta(minutes=30)
    two_workers_look(app)
    hour = "Reminder: Algebra with {} in one hour"
    assert subjects_to(mail, learner.email) == {
        day.format("Tess Tutor"): 1,
        hour.format("Tess Tutor"): 1,
    }
    assert subjects_to(mail, tutor.user.email)[hour.format("Lee Learner")] == 1
    assert len(mail.messages) == 4


def test_a_cancelled_session_is_not_reminded_and_a_late_booking_only_of_the_hour(
    app: Flask, mail: MailServer, clock: FakeClock
) -> None:
    tutor, learner = make_tutor(), make_user()
    cancelled = make_booking(tutor, learner, START)
    db.session.commit()
    clock.now = START - dt.timedelta(hours=3)
    late = make_booking(tutor, learner, START + dt.timedelta(hours=2))
    late.created_at = clock.now
    db.session.commit()
    booking_service().cancel(cancelled, tutor.user, "plans changed")
    db.session.commit()
    assert cancelled.state == BookingState.CANCELLED

    for minutes in range(0, 5 * 60, 20):
        clock.now = START - dt.timedelta(hours=3) + dt.timedelta(minutes=minutes)
        two_workers_look(app)

    assert learner.email
    assert subjects_to(mail, learner.email) == {"Reminder: Algebra with Tess Tutor in one hour": 1}
