"""``lti-tool recommend import``: all lines checked first, then one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from lti_tool_recommend.commands import recommend_group
from lti_tool_recommend.models import Interaction

from lti_tool.models import RoleName
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db

from .world import World

HEADER = "learner_external_id,tutor_external_id,weight,timestamp\n"


@pytest.fixture
def tutors(app: Flask, world: World) -> list[str]:
    """External ids given to three tutors, as another platform would know them."""
    ids = []
    for i, tutor_id in enumerate(list(world.tutor_languages)[:3]):
        profile = db.session.get(TutorProfile, tutor_id)
        assert profile is not None
        profile.external_id = f"ext-tutor-{i}"
        ids.append(profile.external_id)
    known = User(name="Known", email="known@world.example", external_id="ext-learner-known")
    db.session.add(known)
    db.session.commit()
    return ids


def write(tmp_path: Path, body: str) -> str:
    path = tmp_path / "history.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return str(path)


def interactions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Interaction)) or 0


def test_bad_lines_are_reported_by_number_and_nothing_is_written(
    app: Flask, runner: FlaskCliRunner, tutors: list[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "ext-learner-1,ext-tutor-0,1.5,2025-11-03T10:00:00Z\n"
        "ext-learner-2,no-such-tutor,1,2025-11-03T10:00:00Z\n"
        "ext-learner-3,ext-tutor-1,-2,2025-11-03T10:00:00Z\n"
        "ext-learner-4,ext-tutor-1,abc,2025-11-03T10:00:00Z\n"
        "\n"
        "ext-learner-5,ext-tutor-2,1,yesterday\n"
        "ext-learner-6,ext-tutor-2,1,2025-11-03T10:00:00\n"
        "ext-learner-7,ext-tutor-2,1\n"
        "ext-learner-8,ext-tutor-2,1,2031-01-01T00:00:00Z\n",
    )

    result = runner.invoke(recommend_group, ["import", path])

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "7 bad lines; nothing was imported."
    assert lines[1] == "line 3: unknown tutor_external_id 'no-such-tutor'"
    assert lines[2].startswith("line 4: weight '-2'")
    assert lines[3].startswith("line 5: weight 'abc'")
    assert lines[4].startswith("line 7: timestamp 'yesterday'")
    assert lines[5].startswith("line 8: timestamp '2025-11-03T10:00:00' needs a UTC offset")
    assert lines[6] == "line 9: expected 4 cells, got 3"
    assert lines[7].startswith("line 10: timestamp") and "future" in lines[7]
    assert interactions() == 0
    assert db.session.scalar(sa.select(User).where(User.external_id == "ext-learner-1")) is None


def test_good_file_creates_learners_and_interactions_once(
    app: Flask, runner: FlaskCliRunner, tutors: list[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "ext-learner-known,ext-tutor-0,2,2025-11-03T10:00:00+01:00\n"
        "ext-learner-new,ext-tutor-1,0.5,1762160400\n"
        "ext-learner-new,ext-tutor-2,1,2025-11-04T08:30:00Z\n",
    )

    first = runner.invoke(recommend_group, ["import", path])
    again = runner.invoke(recommend_group, ["import", path])

    assert first.exit_code == 0, first.output
    assert first.output == "Imported 3 interactions (0 already there), 1 new learners.\n"
    assert again.output == "Imported 0 interactions (3 already there), 0 new learners.\n"
    new = db.session.scalars(sa.select(User).where(User.external_id == "ext-learner-new")).one()
    assert new.has_role(RoleName.LEARNER)
    rows = db.session.execute(
        sa.select(Interaction.user_id, Interaction.weight, Interaction.source).order_by(
            Interaction.weight
        )
    ).all()
    assert [(weight, source) for _, weight, source in rows] == [
        (0.5, "import"),
        (1.0, "import"),
        (2.0, "import"),
    ]
    assert rows[0].user_id == new.id


def test_imported_history_is_learned_from(
    app: Flask, runner: FlaskCliRunner, tutors: list[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "ext-learner-new,ext-tutor-1,3,2025-11-03T10:00:00Z\n")
    assert runner.invoke(recommend_group, ["import", path]).exit_code == 0

    result = runner.invoke(recommend_group, ["train", "--epochs", "3"])

    assert result.exit_code == 0, result.output
    assert "learners" in result.output
