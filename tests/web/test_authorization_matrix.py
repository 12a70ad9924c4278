"""Who gets what from every route: each (rule, method, role) answers the class the table in
:mod:`tests.web.authorization_matrix` gives, and no route is left out of that table.

The matrix runs on SQLite only: it checks the views' decisions, which do not depend on the
database, and one module-wide world keeps the few hundred requests quick.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Blueprint
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from lti_tool.models import Course
from lti_tool.models import Deployment
from lti_tool.models import Enrollment
from lti_tool.models import LtiIdentity
from lti_tool.models import Registration
from lti_tool.models import RoleName
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.testing import app_in_context
from lti_tool.testing import make_test_app as make_app
from tests.booking import CSRF
from tests.booking import at
from tests.booking import install_clock
from tests.booking import make_subject
from tests.booking import make_tutor
from tests.booking import make_user
from tests.booking import sign_in
from tests.tutors import make_booking
from tests.web.authorization_matrix import ROLES
from tests.web.authorization_matrix import SKIPPED
from tests.web.authorization_matrix import TABLE
from tests.web.authorization_matrix import Answer
from tests.web.authorization_matrix import missing_entries

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@dataclass
class World:
    app: Flask
    people: dict[str, User | None]
    clients: dict[str, FlaskClient]
    values: dict[str, str]


def _platform(issuer: str) -> Deployment:
    registration = Registration(
        issuer=issuer,
        client_id="tool",
        auth_login_url=f"{issuer}/auth",
        auth_token_url=f"{issuer}/token",
        key_set_url=f"{issuer}/jwks",
    )
    deployment = Deployment(registration=registration, deployment_id="1")
    db.session.add(deployment)
    return deployment


def _course(deployment: Deployment, context: str, members: dict[User, str]) -> Course:
    course = Course(deployment=deployment, context_id=context, title=context)
    db.session.add(course)
    issuer = deployment.registration.issuer
    for person, role in members.items():
        db.session.add(Enrollment(course=course, user=person, roles=[role]))
        if not any(i.issuer == issuer for i in person.identities):
            db.session.add(LtiIdentity(user=person, issuer=issuer, sub=f"sub-{person.id}"))
    return course


def _build(app: Flask) -> tuple[dict[str, User | None], dict[str, str]]:
    install_clock(app)
    subject = make_subject()
    tutor = make_tutor([subject], name="Tess Tutor")
    other_tutor = make_tutor([subject], name="Otto Tutor")
    learner = make_user("Lou Learner", roles=[RoleName.LEARNER])
    other_learner = make_user("Olga Learner", roles=[RoleName.LEARNER])
    instructor = make_user("Ida Instructor", roles=[RoleName.INSTRUCTOR])
    other_instructor = make_user("Oren Instructor", roles=[RoleName.INSTRUCTOR])
    admin = make_user("Ada Admin", roles=[RoleName.ADMIN])
    foreign = make_user("Fay Foreign", roles=[RoleName.LEARNER])
    home = _platform("https://lms.example.test")
    course = _course(
        home,
        "course-1",
        {
            learner: "learner",
            other_learner: "learner",
            instructor: "instructor",
        },
    )
    _course(home, "course-2", {other_instructor: "instructor"})
    _course(_platform("https://other-lms.example.test"), "course-9", {foreign: "learner"})
    db.session.flush()
    booking = make_booking(tutor, learner, at(9, 10), subject=subject, course=course)
    people: dict[str, User | None] = {
        "anonymous": None,
        "learner": learner,
        "other_learner": other_learner,
        "tutor": tutor.user,
        "other_tutor": other_tutor.user,
        "instructor": instructor,
        "other_instructor": other_instructor,
        "admin": admin,
        "foreign_learner": foreign,
    }
    values = {
        "booking_id": str(booking.id),
        "tutor_id": str(tutor.id),
        "course_id": str(course.id),
        "slug": subject.slug,
        "lms": "canvas",
        "token": "no-such-token",
    }
    return people, values


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'matrix.sqlite'}"
    with app_in_context(url) as app:
        people, values = _build(app)
        clients = {role: _client(app, number) for number, role in enumerate(people, 1)}
        yield World(app, people, clients, values)


def _client(app: Flask, number: int) -> FlaskClient:
    client = app.test_client()
    # Each person signs in from an address of their own, so the sign-in throttle counts
    # every role's one try apart and the order of the walk does not matter.
    client.environ_base["REMOTE_ADDR"] = f"127.0.0.{number}"
    return client


def _rules(app: Flask) -> list[tuple[Rule, str]]:
    return sorted(
        (
            (rule, method)
            for rule in app.url_map.iter_rules()
            for method in sorted((rule.methods or set()) - IGNORED_METHODS)
        ),
        key=lambda pair: (pair[0].rule, pair[1]),
    )


def _classify(status: int, location: str) -> Answer:
    if status == 401 or (300 <= status < 400 and "/login" in location):
        return "login"
    if 200 <= status < 400:
        return "ok"
    if status == 403:
        return "forbidden"
    if status == 404:
        return "not_found"
    if 400 <= status < 500:
        return "bad_request"
    return f"server_error {status}"  # type: ignore[return-value]


def _ask(world: World, role: str, rule: Rule, method: str) -> Answer:
    client = world.clients[role]
    person = world.people[role]
    if person is None:
        with client.session_transaction() as session:
            session.clear()
    else:
        db.session.refresh(person)  # the epoch as committed, not as this session last saw it
        sign_in(client, person)
    built = rule.build({name: world.values[name] for name in rule.arguments})
    assert built is not None
    path = built[1]
    kwargs: dict[str, t.Any] = {"method": method, "headers": CSRF}
    if method in {"POST", "PUT", "DELETE", "PATCH"}:
        # An empty body (a reason too long for DELETE): routes that need input refuse it, so
        # the walk leaves the booking as it was. The few that act anyway (signing out) are
        # undone by the fresh sign-in above, given before every request.
        kwargs["json"] = {"reason": "x" * 1001} if method == "DELETE" else {}
    response = client.open(path, **kwargs)
    db.session.rollback()
    return _classify(response.status_code, response.headers.get("Location", ""))


def test_every_route_answers_each_role_as_the_table_says(world: World) -> None:
    wrong = []
    for rule, method in _rules(world.app):
        if rule.rule in SKIPPED:
            continue
        expected = TABLE[(rule.rule, method)]
        for role in ROLES:
            got = _ask(world, role, rule, method)
            if got != expected[role]:
                wrong.append(f"{method} {rule.rule} as {role}: {got}, table says {expected[role]}")
    assert wrong == []


def test_every_route_has_an_entry(world: World) -> None:
    assert missing_entries(world.app) == []


def test_a_new_route_without_an_entry_is_reported(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    extra = Blueprint("throwaway", __name__)
    extra.add_url_rule("/throwaway/<int:booking_id>", "peek", lambda booking_id: "")
    app.register_blueprint(extra)
    assert missing_entries(app) == [("/throwaway/<int:booking_id>", "GET")]
