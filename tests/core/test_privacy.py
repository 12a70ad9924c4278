"""``lti-tool privacy export`` and ``erase`` on the demo site: afterwards no name or e-mail of the
person is left anywhere, and tutors' histories still add up."""

from __future__ import annotations

import json
import typing as t

import sqlalchemy as sa
from flask import Flask

from lti_tool import demo
from lti_tool import hookimpl
from lti_tool.booking import current_time
from lti_tool.cli import cli
from lti_tool.models import Base
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Review
from lti_tool.models import User
from lti_tool.models import db
from tests.booking import install_clock
from tests.tutors import make_user


def texts_anywhere(needles: t.Collection[str]) -> list[str]:
    """Every table.column whose text (or JSON) contains one of *needles*."""
    found = []
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, sa.String | sa.Text | sa.JSON):
                    continue
                for value in connection.execute(sa.select(column).where(column.is_not(None))):
                    text = json.dumps(value[0]) if not isinstance(value[0], str) else value[0]
                    if any(needle.lower() in text.lower() for needle in needles):
                        found.append(f"{table.name}.{column.name}")
    return found


def tutor_history() -> list[tuple[int, int, float | None]]:
    """Per tutor: sessions booked (any state) and the average rating."""
    rows = db.session.execute(
        sa.select(
            Booking.tutor_id,
            sa.func.count(Booking.id),
            sa.select(sa.func.avg(Review.rating))
            .where(Review.tutor_id == Booking.tutor_id)
            .scalar_subquery(),
        ).group_by(Booking.tutor_id)
    ).all()
    return sorted(
        (tutor, count, None if avg is None else round(float(avg), 6)) for tutor, count, avg in rows
    )


def test_export_then_erase_a_demo_learner(app: Flask) -> None:
    install_clock(app, demo_now := current_time())
    demo.seed(now=demo_now)
    db.session.commit()
    reviewed = sa.select(Booking.learner_id).join(Review, Review.booking_id == Booking.id)
    learner = db.session.scalars(sa.select(User).where(User.id.in_(reviewed))).first()
    assert learner is not None and learner.email
    name, email, learner_id = learner.name, learner.email, learner.id
    before = tutor_history()
    runner = app.test_cli_runner()

    exported = runner.invoke(cli, ["privacy", "export", "--email", email])

    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert (data["person"]["name"], data["person"]["email"]) == (name, email)
    assert data["bookings"] and data["reviews_written"]
    assert texts_anywhere([email]) != []

    upcoming = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(
            Booking.learner_id == learner_id,
            Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]),
            Booking.end_at > demo_now,
        )
    )
    if upcoming:
        refused = runner.invoke(cli, ["privacy", "erase", "--email", email, "--yes"])
        assert refused.exit_code == 1 and "cancel them first" in refused.output
    erased = runner.invoke(
        cli, ["privacy", "erase", "--email", email, "--yes", "--cancel-upcoming"]
    )

    assert erased.exit_code == 0, erased.output
    db.session.rollback()
    assert texts_anywhere([email, name]) == []
    person = db.session.get(User, learner_id)
    assert person is not None and (person.name, person.email, person.is_active) == (
        "Erased person",
        None,
        False,
    )
    # The tutors' sessions and ratings are all still there.
    assert tutor_history() == before
    again = runner.invoke(cli, ["privacy", "export", "--email", email])
    assert again.exit_code == 1 and "no person" in again.output


def test_export_needs_exactly_one_way_to_name_the_person(app: Flask) -> None:
    runner = app.test_cli_runner()

    neither = runner.invoke(cli, ["privacy", "export"])
    both = runner.invoke(cli, ["privacy", "export", "--email", "a@b.c", "--user-id", "1"])
    huge = runner.invoke(cli, ["privacy", "export", "--user-id", str(2**70)])

    assert neither.exit_code == 2 and "exactly one" in neither.output
    assert both.exit_code == 2
    assert huge.exit_code == 2


def test_a_plugin_that_cannot_erase_is_named_and_the_others_still_run(
    app: Flask, register_plugin: t.Any
) -> None:
    person = make_user(name="Pat Private")
    seen: list[tuple[str, int, list[int]]] = []

    class Broken:
        @hookimpl
        def person_erased(self, user: User, booking_ids: list[int]) -> None:
            raise OSError("the recordings disk is read-only")

    class Working:
        @hookimpl
        def person_erased(self, user: User, booking_ids: list[int]) -> None:
            seen.append((user.name, user.id, booking_ids))

        @hookimpl
        def person_data(self, user: User) -> dict[str, t.Any]:
            return {"working": {"notes": [f"about {user.id}"]}}

    register_plugin(Broken(), name="broken-store")
    register_plugin(Working(), name="working-store")
    runner = app.test_cli_runner()

    exported = runner.invoke(cli, ["privacy", "export", "--user-id", str(person.id)])
    erased = runner.invoke(cli, ["privacy", "erase", "--user-id", str(person.id), "--yes"])

    assert json.loads(exported.output)["plugins"]["working"] == {"notes": [f"about {person.id}"]}
    assert erased.exit_code == 1
    assert "broken-store" in erased.output and "working-store" not in erased.output
    # The core's part is done, and the working plugin saw an already anonymous person.
    assert seen == [("Erased person", person.id, [])]
    db.session.rollback()
    assert texts_anywhere(["Pat Private"]) == []
