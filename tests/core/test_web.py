from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from lti_tool import demo


def test_home_shows_demo_tutors_and_local_assets(app: Flask, client: FlaskClient) -> None:
    demo.seed()
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Find a tutor" in page
    assert "Algebra" in page
    assert page.count('class="card"') >= 10
    # Every asset is served by the tool itself: it runs in LMS iframes and on closed networks.
    assert "http://" not in page.split("<body", 1)[0].replace(app.config["BASE_URL"], "")
    assert "https://" not in page.split("<body", 1)[0]
    css = client.get("/static/core/app.css")
    assert css.status_code == 200
    assert b"--accent" in css.data
    css.close()


def test_api_errors_are_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json is not None
    assert response.json["error"] == "Not Found"
    assert response.json["detail"]


def test_page_errors_are_html(client: FlaskClient) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Not Found" in response.get_data(as_text=True)


def test_signed_in_learner_sees_suggestions_with_reasons(app: Flask, client: FlaskClient) -> None:
    import sqlalchemy as sa

    from lti_tool.models import User
    from lti_tool.models import db

    demo.seed()
    anonymous = client.get("/").get_data(as_text=True)
    assert "Tutors learners book most" in anonymous
    learner = db.session.scalars(sa.select(User).where(User.email.like("learner1@%"))).one()
    with client.session_transaction() as session:
        session["user_id"] = learner.id
    page = client.get("/").get_data(as_text=True)
    assert "Recommended for you" in page
    reasons = page.count('data-testid="reason"')
    assert reasons >= 10
    assert "teaches " in page
