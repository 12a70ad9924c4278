"""``/api/v1/slots`` answers one bounded page at a time: the first slots of each tutor in a
stable order, a cursor to the next page, and every tutor exactly once over all pages."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.booking import current_time
from lti_tool.models import Subject
from lti_tool.scheduling.listing import subject_slot_page
from lti_tool.scheduling.listing import subject_slots
from tests.booking import install_clock
from tests.booking import make_subject
from tests.booking import make_tutor

WEEK = "start=2030-01-07&end=2030-01-13&tz=Europe/Lisbon"


@pytest.fixture
def algebra(app: Flask) -> Subject:
    install_clock(app, dt.datetime(2030, 1, 6, 12, tzinfo=dt.UTC))
    return make_subject()


def every_page(client: FlaskClient, query: str) -> list[dict[str, object]]:
    pages, cursor = [], None
    while True:
        url = f"/api/v1/slots?subject=algebra&{WEEK}&{query}"
        response = client.get(url + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.json
        pages.append(response.json)
        cursor = response.json["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursor does not move on"


def test_pages_cover_every_tutor_once_with_their_first_slots(
    client: FlaskClient, algebra: Subject
) -> None:
    zones = ["Asia/Tokyo", "UTC", "America/Lima", "Europe/Berlin", "Australia/Perth"]
    tutors = [make_tutor([algebra], name=f"T{n}", timezone=zones[n % 5]) for n in range(7)]
    # One tutor with no free time at all in the week, in the middle of the id order.
    tutors.insert(3, make_tutor([algebra], name="Away", weekdays=[]))
    make_tutor([make_subject("french", "French")], name="Elsewhere")

    pages = every_page(client, "per_tutor=2&limit=6&duration=60")

    assert [len(page["slots"]) for page in pages] == [6, 6, 2]
    for page in pages:
        starts = [slot["start_utc"] for slot in page["slots"]]
        assert starts == sorted(starts)
        assert (page["per_tutor"], page["limit"]) == (2, 6)
    listed = [slot["tutor_id"] for page in pages for slot in page["slots"]]
    assert sorted(set(listed)) == sorted(t.id for t in tutors if t.user.name != "Away")
    assert all(listed.count(tutor_id) == 2 for tutor_id in set(listed))
    # Each tutor's two are their first two of the week, exactly as the full listing has them.
    window = (dt.datetime(2030, 1, 7, tzinfo=dt.UTC), dt.datetime(2030, 1, 14, tzinfo=dt.UTC))
    full = subject_slots(algebra, *window, 60, current_time())
    expected = {}
    for slot in full:
        expected.setdefault(slot.tutor_id, [])
        if len(expected[slot.tutor_id]) < 2:
            expected[slot.tutor_id].append(slot.start)
    shown = {}
    for page in pages:
        for slot in page["slots"]:
            start = dt.datetime.fromisoformat(str(slot["start_utc"]).replace("Z", "+00:00"))
            shown.setdefault(slot["tutor_id"], []).append(start)
    assert shown == {k: v for k, v in expected.items()}


def test_a_tutor_is_never_split_across_pages(client: FlaskClient, algebra: Subject) -> None:
    for n in range(3):
        make_tutor([algebra], name=f"T{n}")
    pages = every_page(client, "per_tutor=2&limit=3")
    assert [len(page["slots"]) for page in pages] == [2, 2, 2]


def test_a_run_of_tutors_without_time_gives_a_short_page_and_a_cursor(
    app: Flask, algebra: Subject
) -> None:
    away = [make_tutor([algebra], name=f"Away {n}", weekdays=[]) for n in range(5)]
    free = make_tutor([algebra], name="Free")
    window = (dt.datetime(2030, 1, 7, tzinfo=dt.UTC), dt.datetime(2030, 1, 14, tzinfo=dt.UTC))
    now = current_time()

    first = subject_slot_page(algebra, *window, None, now, per_tutor=3, limit=10, scan_limit=4)
    assert first.slots == [] and first.after_tutor_id == away[3].id
    second = subject_slot_page(
        algebra, *window, None, now, after_tutor_id=away[3].id, per_tutor=3, limit=10
    )
    assert {s.tutor_id for s in second.slots} == {free.id} and len(second.slots) == 3
    assert second.after_tutor_id is None


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("cursor=bm90LWEtY3Vyc29y", "bad_cursor"),
        ("cursor=%00", "bad_request"),  # the input guard refuses a NUL before the view
        ("cursor=YWZ0ZXI6MA", "bad_cursor"),  # after:0
        ("cursor=" + "A" * 5000, "bad_cursor"),
        ("per_tutor=0", "bad_per_tutor"),
        ("per_tutor=51", "bad_per_tutor"),
        ("limit=501", "bad_limit"),
        ("limit=ten", "bad_limit"),
    ],
)
def test_bad_page_parameters_are_refused_with_a_reason(
    client: FlaskClient, algebra: Subject, query: str, error: str
) -> None:
    make_tutor([algebra], name="T")
    response = client.get(f"/api/v1/slots?subject=algebra&{WEEK}&{query}")
    assert response.status_code == 400
    assert response.json is not None and response.json["error"] == error
