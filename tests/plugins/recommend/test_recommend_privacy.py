"""Imported learner-tutor history is the recommend plugin's personal data: in the person's
export, and gone when they are erased, while other people's history stays."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from flask import Flask
from lti_tool_recommend.models import Interaction

from lti_tool.cli import cli
from lti_tool.models import db
from tests.tutors import make_tutor
from tests.tutors import make_user


def test_imported_history_is_exported_then_erased_with_its_learner(app: Flask) -> None:
    tutor, learner, other = make_tutor(), make_user(), make_user()
    when = dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)
    db.session.add_all(
        [
            Interaction(user_id=learner.id, tutor_id=tutor.id, weight=3.0, occurred_at=when),
            Interaction(user_id=other.id, tutor_id=tutor.id, weight=1.0, occurred_at=when),
        ]
    )
    db.session.commit()
    runner = app.test_cli_runner()

    exported = runner.invoke(cli, ["privacy", "export", "--user-id", str(learner.id)])
    erased = runner.invoke(cli, ["privacy", "erase", "--user-id", str(learner.id), "--yes"])

    assert exported.exit_code == 0, exported.output
    history = json.loads(exported.output)["plugins"]["recommend"]["imported_history"]
    assert history == [
        {
            "tutor_id": tutor.id,
            "weight": 3.0,
            "occurred_at": "2025-03-01T09:00:00Z",
            "source": "import",
        }
    ]
    assert erased.exit_code == 0, erased.output
    db.session.rollback()
    left = db.session.scalars(sa.select(Interaction.user_id)).all()
    assert left == [other.id]
