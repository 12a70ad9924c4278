"""Every form post of the site needs the session's CSRF token."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

import lti_tool_standalone
from lti_tool.models import RoleName
from lti_tool.models import User
from lti_tool.models import db

SITE_FORMS = {
    "accounts.signup",
    "accounts.login",
    "accounts.resend_verification",
    "accounts.forgot_password",
    "accounts.reset_password",
    "reviews.review",
    "onboarding.become_tutor",
    "onboarding.start_payouts",
    "site_admin.add_subject",
    "pages.sign_out_view",
}


def post_routes(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, URL) of every POST route that does not authenticate its sender otherwise."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "POST" not in (rule.methods or set()) or getattr(view, "csrf_exempt", False):
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = re.sub(rf"<(?:[^:<>]+:)?{argument}>", "1", url)
        found.append((rule.endpoint, url))
    return found


def test_every_form_post_without_the_token_is_refused(app: Flask, client: FlaskClient) -> None:
    admin = User(name="Root", email="root@example.org", password_hash="x")
    admin.add_role(RoleName.ADMIN)
    db.session.add(admin)
    db.session.commit()
    with client.session_transaction() as session:
        session["user_id"] = admin.id
    routes = post_routes(app)
    assert SITE_FORMS <= {endpoint for endpoint, _ in routes}
    for endpoint, url in routes:
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(url, data={"email": "new@example.org", **data})
            assert response.status_code == 400, (endpoint, url, response.status_code)
            assert "security token" in response.get_data(as_text=True), endpoint
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    with client.session_transaction() as session:
        assert session["user_id"] == admin.id


def test_every_post_form_in_the_site_templates_carries_the_token() -> None:
    root = Path(lti_tool_standalone.__file__).parent / "templates"
    forms = 0
    for template in root.rglob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", text, re.S | re.I):
            forms += 1
            assert "csrf_token()" in form, f"{template.name} has a post form without the token"
    assert forms >= len(SITE_FORMS) - 1
