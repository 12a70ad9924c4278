"""Training from the command line, the retrain flag completed sessions raise, and the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from lti_tool_recommend.commands import recommend_group
from lti_tool_recommend.model import TrainedModel
from lti_tool_recommend.store import plugin_state

from lti_tool.booking import booking_service
from lti_tool.models import Booking
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from tests.tutors import make_booking

from .conftest import Clock
from .world import World


def confirmed_session(world: World, tutor_id: int, learner_id: int, start: dt.datetime) -> Booking:
    return make_booking(
        db.session.get(TutorProfile, tutor_id),
        db.session.get(User, learner_id),
        start,
        subject=db.session.get(Subject, world.subjects[world.tutor_subjects[tutor_id][0]]),
    )


def test_model_file_records_version_time_and_data(
    app: Flask, trained: World, model_path: Path
) -> None:
    model = TrainedModel.load(model_path)

    assert model.meta["version"] == "0.1.0"
    assert model.meta["trained_at"] == "2026-03-02T12:00:00+00:00"
    summary = model.meta["summary"]
    assert summary["tutors"] == len(trained.tutor_languages)
    assert summary["learners"] == len(trained.learners)
    assert summary["completed_sessions"] > 3 * len(trained.learners)
    assert [p.name for p in model_path.parent.iterdir()] == [model_path.name]  # no temp files


def test_completed_sessions_make_a_retrain_due_and_train_if_due_runs_it(
    app: Flask, trained: World, runner: FlaskCliRunner, clock: Clock
) -> None:
    flag = plugin_state().settings.flag_path
    clock.now += dt.timedelta(hours=2)
    start = clock.now - dt.timedelta(minutes=90)
    tutors = list(trained.tutor_languages)
    first = confirmed_session(trained, tutors[0], trained.learners[0], start)
    second = confirmed_session(trained, tutors[1], trained.learners[1], start)

    assert runner.invoke(recommend_group, ["train", "--if-due"]).output == "No retrain due.\n"
    booking_service().complete(first)
    assert not flag.exists()  # retrain_after is 2 in these tests
    booking_service().complete(second)
    assert flag.exists()

    result = runner.invoke(recommend_group, ["train", "--if-due"])

    assert result.exit_code == 0, result.output
    assert "enough sessions were completed" in result.output
    assert not flag.exists()
    assert plugin_state().store.current().meta["trained_at"] == clock.now.isoformat()
    assert runner.invoke(recommend_group, ["train", "--if-due"]).output == "No retrain due.\n"


def test_train_if_due_without_a_model_trains_and_without_data_says_so(
    app: Flask, runner: FlaskCliRunner, model_path: Path
) -> None:
    quiet = runner.invoke(recommend_group, ["train", "--if-due"])
    loud = runner.invoke(recommend_group, ["train"])

    assert quiet.exit_code == 0 and "Nothing to train yet" in quiet.output
    assert loud.exit_code == 1 and "nothing to learn from" in loud.output
    assert not model_path.exists()
