"""Serving from a model trained on a generated site: newcomers, filters, new tutors."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.plugins import pm

from .world import World
from .world import new_learner


def chemistry() -> Subject:
    return db.session.scalars(sa.select(Subject).where(Subject.slug == "chemistry")).one()


def recommend(learner: User | None, limit: int = 5, **filters: object) -> list[TutorProfile]:
    found = pm.hook.recommend_tutors(
        learner=learner, subject=chemistry(), limit=limit, filters=filters
    )
    assert found is not None
    return list(found)


def test_new_learner_wanting_chemistry_in_spanish_gets_spanish_chemistry_tutors_first(
    app: Flask, trained: World
) -> None:
    learner = new_learner("chemistry", ["es"])
    spanish = {
        tid
        for tid, langs in trained.tutor_languages.items()
        if "es" in langs and "chemistry" in trained.tutor_subjects[tid]
    }
    assert len(spanish) >= 5

    tutors = recommend(learner, limit=5)

    assert len(tutors) == 5
    assert all("chemistry" in {s.subject.slug for s in t.subjects} for t in tutors)
    assert [t.id for t in tutors if t.id not in spanish] == []


def add_tutor(languages: list[str], subject: str = "chemistry", zone: str = "Europe/Madrid") -> int:
    """A tutor who joined after the model was trained."""
    user = User(name="Fresh Tutor", email=f"fresh-{'-'.join(languages)}@world.example")
    db.session.add(user)
    db.session.flush()
    profile = TutorProfile(user_id=user.id, timezone=zone, languages=languages, price_cents=3500)
    db.session.add(profile)
    db.session.flush()
    subject_id = db.session.scalar(sa.select(Subject.id).where(Subject.slug == subject))
    db.session.add(TutorSubject(tutor_id=profile.id, subject_id=subject_id))
    db.session.commit()
    return profile.id


def test_tutor_who_joined_after_training_is_ranked_by_their_features(
    app: Flask, trained: World
) -> None:
    spanish_newcomer = add_tutor(["es"])
    german_newcomer = add_tutor(["de"], zone="Europe/Berlin")
    learner = new_learner("chemistry", ["es"])

    ranked = [t.id for t in recommend(learner, limit=200)]

    languages = trained.tutor_languages | {spanish_newcomer: ["es"], german_newcomer: ["de"]}
    first_without_spanish = next(i for i, t in enumerate(ranked) if "es" not in languages[t])
    # Each newcomer lands among the tutors who share their attributes.
    assert ranked.index(spanish_newcomer) < first_without_spanish
    assert ranked.index(german_newcomer) >= first_without_spanish


def test_tutor_without_free_time_in_the_window_is_not_offered(app: Flask, trained: World) -> None:
    learner = new_learner("chemistry", ["es"])
    blocked = trained.blocked_tutor

    assert blocked in [t.id for t in recommend(learner, limit=5)]

    available = recommend(learner, limit=5, free_within_days=7)
    assert len(available) == 5
    assert blocked not in [t.id for t in available]


def test_filters_narrow_the_ranking(app: Flask, trained: World) -> None:
    learner = new_learner("chemistry", ["es"])

    french = recommend(learner, limit=50, language="fr")
    cheap = recommend(learner, limit=50, max_price_cents=3500)

    assert french and all("fr" in t.languages for t in french)
    assert cheap and all(t.price_cents <= 3500 for t in cheap)
    assert recommend(learner, limit=5, language="xx") == []


def test_anonymous_visitor_and_known_learner_are_served(app: Flask, trained: World) -> None:
    anonymous = recommend(None, limit=5)
    known = db.session.get(User, trained.learners[0])

    assert len(anonymous) == 5
    assert len(recommend(known, limit=5)) == 5


def test_free_time_filter_costs_a_fixed_number_of_queries(app: Flask, trained: World) -> None:
    learner = new_learner("chemistry", ["es"])
    subject = chemistry()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def run(limit: int) -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            found = pm.hook.recommend_tutors(
                learner=learner, subject=subject, limit=limit, filters={"free_within_days": 7}
            )
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert len(found) == limit
        return len(statements)

    run(1)  # loads what the fresh learner object has expired
    assert run(3) == run(12) <= 10
