"""``GET /api/v1/recommendations`` and the reasons given with each tutor."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from lti_tool_recommend import reasons_for
from lti_tool_recommend.reasons import when

from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db

from .world import NOW
from .world import World
from .world import new_learner

REASON = re.compile(
    r"teaches Chemistry, speaks Spanish, free "
    r"(this|tomorrow|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) "
    r"(morning|afternoon|evening|night)"
)


def sign_in(client: FlaskClient, user: User) -> None:
    with client.session_transaction() as session:
        session["user_id"] = user.id


def test_signed_in_learner_gets_ranked_tutors_with_reasons(
    app: Flask, client: FlaskClient, trained: World
) -> None:
    learner = new_learner("chemistry", ["es"])
    sign_in(client, learner)

    response = client.get("/api/v1/recommendations?subject=chemistry&limit=5&free_within_days=7")

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["title"] == "Recommended for you"
    assert body["ranking"] == "model"
    assert body["model"]["trained_at"] == NOW.isoformat()
    assert len(body["tutors"]) == 5
    assert trained.blocked_tutor not in [tutor["id"] for tutor in body["tutors"]]
    for tutor in body["tutors"]:
        assert REASON.fullmatch(tutor["reason"]), tutor["reason"]
        assert dt.datetime.fromisoformat(tutor["next_free"]) < NOW + dt.timedelta(days=7)
        assert tutor["url"] == f"/tutors/{tutor['id']}"


def test_without_a_model_the_api_serves_popular_tutors_with_reasons(
    app: Flask, client: FlaskClient, world: World, model_path: Path
) -> None:
    assert not model_path.exists()

    response = client.get(
        "/api/v1/recommendations?subject=chemistry&language=es&free_within_days=7&limit=3"
    )

    body = response.get_json()
    assert response.status_code == 200, body
    assert (body["title"], body["ranking"], body["model"]) == ("Popular tutors", "popularity", None)
    assert len(body["tutors"]) == 3
    assert world.blocked_tutor not in [tutor["id"] for tutor in body["tutors"]]
    assert all(REASON.fullmatch(tutor["reason"]) for tutor in body["tutors"])


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        # Beyond the digits int() converts: refused as a bad query, not a server error.
        ("limit=" + "9" * 5000, "limit"),
        ("subject=knitting", "subject"),
        ("max_price=cheap", "max_price"),
        ("language=Spanish!", "language"),
        ("free_within_days=365", "free_within_days"),
    ],
)
def test_bad_query_is_refused_with_the_parameter_named(
    app: Flask, client: FlaskClient, world: World, query: str, detail: str
) -> None:
    response = client.get(f"/api/v1/recommendations?{query}")

    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_query"
    assert response.get_json()["detail"].startswith(detail)


def test_reasons_follow_the_tutors_and_the_learners_zone(app: Flask, trained: World) -> None:
    learner = new_learner("chemistry", ["es"], zone="Europe/Madrid")
    subject = db.session.scalars(sa.select(Subject).where(Subject.slug == "chemistry")).one()
    madrid = db.session.scalars(
        sa.select(TutorProfile).where(
            TutorProfile.timezone == "Europe/Madrid", TutorProfile.id != trained.blocked_tutor
        )
    ).all()
    spanish_chemistry = [
        t
        for t in madrid
        if "es" in t.languages and "chemistry" in {s.subject.slug for s in t.subjects}
    ]
    blocked = db.session.get(TutorProfile, trained.blocked_tutor)
    assert blocked is not None and spanish_chemistry

    reasons = reasons_for(learner, [spanish_chemistry[0], blocked], subject)

    # Monday noon UTC, twelve hours' notice: a Madrid tutor's next hour is Tuesday 09:00.
    assert reasons[0] == "teaches Chemistry, speaks Spanish, free tomorrow morning"
    assert reasons[1].startswith("teaches Chemistry, speaks Spanish")
    assert "free" not in reasons[1]
    assert reasons_for(learner, [], subject) == []


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (dt.datetime(2026, 3, 2, 19, 0), "this evening"),
        (dt.datetime(2026, 3, 2, 23, 30), "tonight"),
        (dt.datetime(2026, 3, 3, 8, 0), "tomorrow morning"),
        (dt.datetime(2026, 3, 5, 14, 0), "Thursday afternoon"),
        (dt.datetime(2026, 3, 10, 18, 0), "Tue 10 Mar evening"),
    ],
)
def test_when_names_the_day_and_part_of_day_in_the_learners_zone(
    start: dt.datetime, expected: str
) -> None:
    zone = ZoneInfo("America/New_York")
    now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=zone)
    assert when(start.replace(tzinfo=zone).astimezone(dt.UTC), zone, now) == expected
