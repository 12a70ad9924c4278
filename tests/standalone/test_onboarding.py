"""Becoming a tutor goes through the core's settings check, then to the hours page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.models import RoleName
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.testing import app_in_context
from tests.standalone.factories import act_as
from tests.standalone.factories import person
from tests.standalone.factories import subject
from tests.standalone.journey import MailServer
from tests.standalone.journey import csrf_token


def becoming_tutor(client: FlaskClient) -> User:
    """A signed-in learner, on a site that teaches algebra and physics."""
    subject("algebra")
    subject("physics")
    nia = person("Nia Learner", "America/New_York")
    db.session.commit()
    act_as(client, nia)
    return nia


@pytest.fixture
def learner(app: Flask, client: FlaskClient) -> User:
    return becoming_tutor(client)


def apply(client: FlaskClient, **fields: object) -> tuple[int, str]:
    data = {
        "csrf_token": csrf_token(client, "/become-a-tutor"),
        "headline": "Algebra without tears",
        "subjects": ["algebra", "physics"],
        "timezone": "America/New_York",
        "languages": "en, es",
        "price": "35.50",
    } | fields
    response = client.post("/become-a-tutor", data=data)
    return response.status_code, response.headers.get("Location") or response.get_data(as_text=True)


def test_becoming_a_tutor(client: FlaskClient, learner: User) -> None:
    form = client.get("/become-a-tutor").get_data(as_text=True)
    assert '<option value="America/New_York" selected>' in form
    status, location = apply(client)
    assert status == 302
    assert location.startswith("/tutor/availability")
    profile = db.session.scalar(sa.select(TutorProfile))
    assert profile is not None and profile.user_id == learner.id
    assert profile.timezone == "America/New_York"
    assert profile.languages == ["en", "es"]
    assert profile.price_cents == 3550
    assert profile.headline == "Algebra without tears"
    assert sorted(link.subject.slug for link in profile.subjects) == ["algebra", "physics"]
    db.session.refresh(learner)
    assert learner.has_role(RoleName.TUTOR)
    assert client.get("/tutor/availability").status_code == 200
    # A second visit leads straight to the hours.
    assert client.get("/become-a-tutor").headers["Location"] == "/tutor/availability"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"price": "lots"}, "Price: expected a price such as 35.00"),
        ({"languages": "english!"}, "Languages: 'english!' is not a language code"),
        ({"timezone": "Mars/Base"}, "Timezone: 'Mars/Base' is not an IANA timezone"),
        ({"subjects": ["astrology"]}, "Subjects: no subject 'astrology'"),
        ({"subjects": []}, "Pick at least one subject"),
    ],
)
def test_invalid_settings_write_nothing(
    client: FlaskClient, learner: User, fields: dict[str, object], message: str
) -> None:
    status, page = apply(client, **fields)
    assert status == 400
    assert message in page.replace("&#39;", "'")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TutorProfile)) == 0
    db.session.refresh(learner)
    assert not learner.has_role(RoleName.TUTOR)


@pytest.mark.parametrize(
    ("currency", "price", "stored"),
    [("jpy", "3500", 3500), ("kwd", "12.5", 12500), ("isk", "9900", 9900)],
)
def test_the_price_is_in_the_sites_currency(
    database_url: str, mail: MailServer, currency: str, price: str, stored: int
) -> None:
    with app_in_context(database_url, currency=currency, **mail.settings()) as app:
        client = app.test_client()
        learner = becoming_tutor(client)
        form = client.get("/become-a-tutor").get_data(as_text=True)
        assert f"Price per hour ({currency.upper()})" in form
        status, _ = apply(client, price=price)
        assert status == 302
        profile = db.session.scalar(sa.select(TutorProfile))
        assert profile is not None and profile.user_id == learner.id
        assert profile.price_cents == stored


@pytest.mark.parametrize(
    ("currency", "price", "message"),
    [
        ("jpy", "35.5", "Price: JPY prices have no decimals"),
        ("kwd", "12.345", "Price: prices in KWD go in steps of 0.010"),
        ("usd", "35.505", "Price: USD prices have at most 2 decimals"),
    ],
)
def test_a_price_the_currency_cannot_hold_is_refused(
    database_url: str, mail: MailServer, currency: str, price: str, message: str
) -> None:
    with app_in_context(database_url, currency=currency, **mail.settings()) as app:
        client = app.test_client()
        learner = becoming_tutor(client)
        status, page = apply(client, price=price)
        assert status == 400
        assert message in page
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TutorProfile)) == 0
        db.session.refresh(learner)
        assert not learner.has_role(RoleName.TUTOR)


def test_anonymous_visitors_sign_in_first(app: Flask) -> None:
    assert app.test_client().get("/become-a-tutor").status_code == 401
