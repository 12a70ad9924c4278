"""``lti-tool users set-password`` lets demo people log in with a password."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool import demo
from lti_tool.cli import cli
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.plugins import pm
from tests.standalone.journey import log_in

NEW = "demo people deserve passwords"


def test_set_password_for_a_demo_person(app: Flask, client: FlaskClient) -> None:
    demo.seed()
    email = db.session.scalar(sa.select(User.email).where(User.email.like("learner1@%")))
    assert email is not None
    assert log_in(client, email, NEW).status_code == 200

    pm.hook.register_commands(cli=cli)
    result = app.test_cli_runner().invoke(
        cli, ["users", "set-password", email.upper()], input=f"{NEW}\n{NEW}\n"
    )
    assert result.exit_code == 0, result.output
    assert "can now log in" in result.output
    assert NEW not in result.output
    response = log_in(client, email, NEW)
    assert response.status_code == 302


def test_set_password_refuses_unknown_people_and_weak_passwords(app: Flask) -> None:
    runner = app.test_cli_runner()
    pm.hook.register_commands(cli=cli)
    unknown = runner.invoke(cli, ["users", "set-password", "nobody@example.org"], input="x\nx\n")
    assert unknown.exit_code == 1
    assert "no one has the e-mail address" in unknown.output
    db.session.add(User(name="Short", email="short@example.org"))
    db.session.commit()
    weak = runner.invoke(cli, ["users", "set-password", "short@example.org"], input="abc\nabc\n")
    assert weak.exit_code == 1
    assert "at least 10 characters" in weak.output
