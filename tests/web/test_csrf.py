from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool import demo
from lti_tool.models import User
from lti_tool.models import db


def form_token(client: FlaskClient) -> str:
    page = client.get("/dev/sign-in").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def test_form_posts_without_the_token_are_refused(app: Flask, client: FlaskClient) -> None:
    demo.seed()
    learner = db.session.scalars(sa.select(User).where(User.email.like("learner1@%"))).one()
    for data in ({"user_id": learner.id}, {"user_id": learner.id, "csrf_token": "forged"}):
        response = client.post("/dev/sign-in", data=data)
        assert response.status_code == 400
        assert "security token" in response.get_data(as_text=True)
        with client.session_transaction() as session:
            assert "user_id" not in session


def test_the_session_token_is_accepted_in_the_form_or_a_header(
    app: Flask, client: FlaskClient
) -> None:
    demo.seed()
    learner = db.session.scalars(sa.select(User).where(User.email.like("learner1@%"))).one()
    token = form_token(client)
    response = client.post("/dev/sign-in", data={"user_id": learner.id, "csrf_token": token})
    assert response.status_code == 302
    # Signing in starts a fresh session, so the next form needs the new token.
    refused = client.post("/api/v1/me/calendar-token")
    assert refused.status_code == 400
    rotated = client.post("/api/v1/me/calendar-token", headers={"X-CSRF-Token": form_token(client)})
    assert rotated.status_code == 200


def test_every_post_form_in_the_templates_carries_the_token() -> None:
    from pathlib import Path

    import lti_tool

    root = Path(lti_tool.__file__).parent
    forms = 0
    for template in root.rglob("templates/*.html"):
        text = template.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", text, re.S | re.I):
            forms += 1
            assert "csrf_token()" in form, f"{template.name} has a post form without the token"
    assert forms >= 2
