"""Tutor recommendations from a hybrid LightFM model.

The model learns from completed sessions (weighted by rating), other bookings, favourites and
imported history, and describes learners and tutors by their features as well as by who they
are, so newcomers on either side get sensible suggestions. ``lti-tool recommend train``
writes the model file; every process serves from it and picks up a new one by itself. With
no usable model this plugin answers nothing and the core's popularity ranking serves.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Blueprint

from lti_tool import hookimpl
from lti_tool.api import Booking
from lti_tool.api import Subject
from lti_tool.api import TutorProfile
from lti_tool.api import User
from lti_tool.api import current_time
from lti_tool.api import db
from lti_tool.api import export_instant
from lti_tool.api import write_transaction
from lti_tool_recommend.api import bp
from lti_tool_recommend.commands import recommend_group
from lti_tool_recommend.models import Interaction
from lti_tool_recommend.openapi import api_paths as recommendation_paths
from lti_tool_recommend.reasons import reasons_for
from lti_tool_recommend.serving import recommend
from lti_tool_recommend.store import note_completed_session
from lti_tool_recommend.store import plugin_state

__all__ = ["reasons_for"]


@hookimpl
def recommend_tutors(
    learner: User | None, subject: Subject | None, limit: int, filters: dict[str, t.Any]
) -> list[TutorProfile] | None:
    model = plugin_state().store.current()
    if model is None:
        return None
    return recommend(model, db.session(), learner, subject, limit, filters, current_time())


@hookimpl
def explain_recommendations(
    learner: User | None, subject: Subject | None, tutors: list[TutorProfile]
) -> list[str]:
    return reasons_for(learner, tutors, subject, now=current_time())


@hookimpl
def booking_event(event: str, booking: Booking) -> None:
    if event != "completed":
        return
    note_completed_session(db.session(), plugin_state())


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(recommend_group)


@hookimpl
def register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(bp)


@hookimpl
def api_paths() -> dict[str, dict[str, t.Any]]:
    return recommendation_paths()


@hookimpl
def migration_directory() -> Path:
    return Path(__file__).with_name("migrations")


@hookimpl
def person_data(user: User) -> dict[str, t.Any]:
    rows = db.session.scalars(
        sa.select(Interaction).where(Interaction.user_id == user.id).order_by(Interaction.id)
    )
    history = [
        {
            "tutor_id": row.tutor_id,
            "weight": row.weight,
            "occurred_at": export_instant(row.occurred_at),
            "source": row.source,
        }
        for row in rows
    ]
    return {"recommend": {"imported_history": history}}


@hookimpl
def person_erased(user: User) -> None:
    with write_transaction() as session:
        session.execute(sa.delete(Interaction).where(Interaction.user_id == user.id))
