"""The catalog: filters, ratings, and each tutor's next free time in the viewer's zone."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.models import BookingState
from lti_tool.models import TutorProfile
from lti_tool.models import db
from lti_tool.testing import app_in_context
from lti_tool_standalone.catalog import PAGE_SIZE
from lti_tool_standalone.catalog import initials
from tests.standalone.conftest import Clock
from tests.standalone.factories import act_as
from tests.standalone.factories import person
from tests.standalone.factories import review
from tests.standalone.factories import session
from tests.standalone.factories import time_off
from tests.standalone.factories import tutor
from tests.standalone.journey import MailServer

MONDAY = dt.date(2030, 1, 7)  # the clock fixture's day; it is 12:00 UTC


@pytest.fixture
def tutors(app: Flask, clock: Clock) -> dict[str, int]:
    """Kenji (Tokyo, free tomorrow), Lucía (Madrid, away for nine days), Noah (no hours)."""
    kenji = tutor(
        "Kenji Tanaka",
        "Asia/Tokyo",
        languages=["ja", "en"],
        price_cents=4000,
        subjects=["algebra"],
    )
    lucia = tutor(
        "Lucía Fernández",
        "Europe/Madrid",
        languages=["es", "en"],
        price_cents=2500,
        subjects=["spanish"],
        hours=("10:00", "12:00"),
    )
    time_off(lucia, MONDAY, MONDAY + dt.timedelta(days=8))
    noah = tutor(
        "Noah Williams",
        "America/Los_Angeles",
        languages=["en"],
        price_cents=6000,
        subjects=["algebra"],
        hours=None,
    )
    gone = tutor("Gone Away", "UTC", languages=["en"], price_cents=100, subjects=["algebra"])
    gone.is_active = False
    learner = person("Rita Reviewer", "Europe/Paris")
    past = dt.datetime(2029, 12, 1, 9, tzinfo=dt.UTC)
    review(session(lucia, learner, past), 5)
    review(session(kenji, learner, past), 4)
    review(session(kenji, learner, past + dt.timedelta(days=1)), 3)
    db.session.commit()
    return {"kenji": kenji.id, "lucia": lucia.id, "noah": noah.id}


def names(client: FlaskClient, query: str = "") -> list[str]:
    response = client.get(f"/catalog{query}")
    assert response.status_code == 200
    return re.findall(r'data-testid="tutor-link">([^<]+)<', response.get_data(as_text=True))


def card(client: FlaskClient, tutor_id: int, query: str = "") -> str:
    page = client.get(f"/catalog{query}").get_data(as_text=True)
    match = re.search(rf'data-tutor-id="{tutor_id}">(.*?)</li>', page, re.S)
    assert match is not None
    return match.group(1)


def test_best_rated_first_inactive_left_out(client: FlaskClient, tutors: dict[str, int]) -> None:
    assert names(client) == ["Lucía Fernández", "Kenji Tanaka", "Noah Williams"]
    kenji = card(client, tutors["kenji"])
    assert "3.5 out of 5 from 2 reviews" in kenji
    assert ">KT<" in kenji and "Algebra" in kenji and "40.00 USD" in kenji
    assert "No reviews yet" in card(client, tutors["noah"])


def test_filters(client: FlaskClient, tutors: dict[str, int]) -> None:
    assert names(client, "?language=es") == ["Lucía Fernández"]
    assert names(client, "?language=ja") == ["Kenji Tanaka"]
    assert names(client, "?max_price=40") == ["Lucía Fernández", "Kenji Tanaka"]
    assert names(client, "?max_price=39.99") == ["Lucía Fernández"]
    assert names(client, "?subject=algebra") == ["Kenji Tanaka", "Noah Williams"]
    assert names(client, "?subject=algebra&language=en&max_price=50") == ["Kenji Tanaka"]
    bad = client.get("/catalog?max_price=cheap")
    assert bad.status_code == 400
    assert "Enter a price" in bad.get_data(as_text=True)


def test_prices_in_a_currency_without_decimals(database_url: str, mail: MailServer) -> None:
    with app_in_context(database_url, currency="jpy", **mail.settings()) as app:
        kenji = tutor("Kenji Tanaka", "Asia/Tokyo", languages=["ja"], price_cents=3500, subjects=[])
        tutor("Hana Kim", "Asia/Seoul", languages=["ko"], price_cents=5000, subjects=[])
        db.session.commit()
        client = app.test_client()
        assert "3500 JPY" in card(client, kenji.id)
        assert names(client, "?max_price=3500") == ["Kenji Tanaka"]
        assert names(client, "?max_price=4999.0") == ["Kenji Tanaka"]
        bad = client.get("/catalog?max_price=35.5")
        assert bad.status_code == 400
        assert "Enter a price in JPY: JPY prices have no decimals" in bad.get_data(as_text=True)


def test_free_this_week(client: FlaskClient, tutors: dict[str, int]) -> None:
    assert names(client, "?free_week=1") == ["Kenji Tanaka"]
    # Lucía is back after her nine days off, inside the three weeks a card looks ahead.
    assert "2030-01-16T09:00:00+00:00" in card(client, tutors["lucia"])
    assert "nothing in the next 21 days" in card(client, tutors["noah"])


def test_next_free_time_is_shown_in_the_viewers_zone(
    client: FlaskClient, tutors: dict[str, int]
) -> None:
    # Tokyo 09:00 on Tuesday is 00:00 UTC, Monday 19:00 in New York; that hour is taken.
    kenji = db.session.get(TutorProfile, tutors["kenji"])
    learner = person("Nia Learner", "America/New_York")
    session(kenji, learner, dt.datetime(2030, 1, 8, 0, tzinfo=dt.UTC), BookingState.CONFIRMED)
    db.session.commit()
    act_as(client, learner)
    # Free again after the hour and Kenji's ten-minute break, at the next half hour.
    assert "Mon 7 Jan, 20:30 EST" in card(client, tutors["kenji"])
    assert 'datetime="2030-01-08T01:30:00+00:00"' in card(client, tutors["kenji"])

    anonymous = client.application.test_client()
    shown = card(anonymous, tutors["kenji"], "?tz=Asia/Kolkata")
    assert "Tue 8 Jan, 07:00 IST" in shown
    assert "data-local" not in shown
    # Without a known zone the page names none and the browser rewrites the time.
    assert "data-local" in card(anonymous, tutors["kenji"])


def test_paging_keeps_the_filters(client: FlaskClient, tutors: dict[str, int]) -> None:
    for index in range(PAGE_SIZE + 2):
        tutor(f"Extra Tutor{index}", "UTC", languages=["en"], price_cents=1000, subjects=["maths"])
    db.session.commit()
    first = client.get("/catalog?language=en").get_data(as_text=True)
    assert first.count('data-testid="tutor-card"') == PAGE_SIZE
    assert "Page 1 of 2" in first
    assert 'href="/catalog?language=en&amp;page=2"' in first
    second = names(client, "?language=en&page=2")
    assert len(second) == 17 - PAGE_SIZE


@contextmanager
def counted_queries(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: object) -> None:
        if not str(args[2]).startswith("BEGIN"):  # SQLite's transaction start, not a query
            statements.append(str(args[2]))

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


@pytest.mark.parametrize("query", ["", "?free_week=1"])
def test_queries_do_not_grow_with_the_tutors(
    app: Flask, client: FlaskClient, tutors: dict[str, int], query: str
) -> None:
    client.get(f"/catalog{query}")
    with counted_queries(app) as few:
        assert client.get(f"/catalog{query}").status_code == 200
    for index in range(30):
        tutor(
            f"More Tutor{index}",
            "Europe/Berlin",
            languages=["de"],
            price_cents=3000,
            subjects=["physics", "algebra"],
        )
    db.session.commit()
    with counted_queries(app) as many:
        assert client.get(f"/catalog{query}").status_code == 200
    assert len(many) == len(few), "\n".join(many)


def test_initials() -> None:
    assert initials("Lucía María Fernández") == "LF"
    assert initials("Cher") == "C"
    assert initials("") == "?"
