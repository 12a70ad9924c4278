"""The API's OpenAPI document, held against the routes, and Schemathesis held against the API.

Every route under ``/api/v1/`` must be described and every description must have a route, so
a new endpoint without a description (or a plugin that forgets ``api_paths``) fails here.
Schemathesis then sends each operation generated requests, valid and invalid ones, as an
anonymous caller, a signed-in learner and a signed-in tutor, in the demo world plus one
booking between those two, so that ids in paths often name real rows. Each answer must be a
documented status with a documented content type and body, and never a server error. Runs
are derandomized, so CI sees the same requests every time.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t
from collections.abc import Iterator
from dataclasses import dataclass

import hypothesis
import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Err
from schemathesis.specs.openapi.schemas import OpenApiSchema

from lti_tool import demo
from lti_tool import hookimpl
from lti_tool.models import Booking
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.testing import app_in_context
from lti_tool.web.input_guard import MAX_ID
from lti_tool.web.openapi import ApiDocumentError
from lti_tool.web.openapi import api_document
from lti_tool.web.openapi import core_document
from tests.booking import CSRF
from tests.booking import NOW
from tests.booking import at
from tests.booking import install_clock
from tests.booking import sign_in
from tests.conftest import fresh_module_database
from tests.tutors import make_booking

DOCUMENT = "/api/v1/openapi.json"
ROLES = ("anonymous", "learner", "tutor")
#: Examples per operation, role and mode on each database: enough to reach each answer, few
#: enough for CI. PostgreSQL runs the same views, so fewer there look for what only its driver
#: refuses; the anonymous caller mostly hears 401, so half of them suffice.
EXAMPLES = {
    "sqlite": {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5},
    "postgresql": {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 2},
}
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
_VARIABLE = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


@dataclass
class Caller:
    cookies: dict[str, str]
    headers: dict[str, str]


@dataclass
class RealValues:
    """Inputs that name real rows or free times, put in place of generated ones."""

    where: str
    """The case attribute: ``path_parameters``, ``query`` or ``body``."""
    names: tuple[str, ...]
    """Replaced together, and only when the case has all of them."""
    values: st.SearchStrategy[dict[str, t.Any]]


def _one(where: str, name: str, values: st.SearchStrategy[t.Any]) -> RealValues:
    return RealValues(where, (name,), values.map(lambda value: {name: value}))


@dataclass
class World:
    app: Flask
    schema: OpenApiSchema
    callers: dict[str, Caller]
    real: list[RealValues]
    examples: dict[GenerationMode, int]


def _caller(app: Flask, user: User | None) -> Caller:
    if user is None:
        return Caller({}, {})
    client = sign_in(app.test_client(), user)
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    return Caller({cookie.key: cookie.value}, dict(CSRF))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    url = fresh_module_database(request, tmp_path_factory, "openapi")
    with app_in_context(url) as app:
        install_clock(app)
        demo.seed(now=NOW)
        tutor = db.session.scalars(
            sa.select(TutorProfile).where(TutorProfile.timezone == "Asia/Tokyo")
        ).one()
        learner = db.session.scalars(sa.select(User).where(User.email.like("learner1@%"))).one()
        make_booking(tutor, learner, at(8, 0), subject=tutor.subjects[0].subject)
        stranger = db.session.scalars(sa.select(Booking.id).where(Booking.learner_id != learner.id))
        theirs = db.session.scalars(
            sa.select(Booking.id).where(
                sa.or_(Booking.learner_id == learner.id, Booking.tutor_id == tutor.id)
            )
        )
        booking_ids = sorted({*theirs, next(iter(stranger))})
        tutor_ids = sorted(db.session.scalars(sa.select(TutorProfile.id)))
        free = _free_slots(app, db.session.scalars(sa.select(TutorProfile)).all())
        callers = {
            "anonymous": _caller(app, None),
            "learner": _caller(app, learner),
            "tutor": _caller(app, tutor.user),
        }
        schema = schemathesis.openapi.from_wsgi(DOCUMENT, app)
        # Each caller brings a real session cookie and CSRF header; random ones would only
        # stand in for "signed out", which the anonymous caller covers.
        schema.config.generation.update(with_security_parameters=False)
        real = _real_values(booking_ids, tutor_ids, free)
        yield World(app, schema, callers, real, EXAMPLES[request.param])


def _free_slots(app: Flask, tutors: t.Sequence[TutorProfile]) -> list[dict[str, t.Any]]:
    """Booking bodies for free hours of the demo tutors, as the slot API lists them."""
    client = app.test_client()
    bodies = []
    for tutor in tutors:
        first, last = NOW.date(), NOW.date() + dt.timedelta(days=13)
        answer = client.get(
            f"/api/v1/tutors/{tutor.id}/slots?start={first}&end={last}&duration=60&tz=UTC"
        )
        assert answer.status_code == 200, answer.get_json()
        subject = tutor.subjects[0].subject.slug
        bodies += [
            {"tutor_id": tutor.id, "subject": subject, "start": slot["start_utc"], "duration": 60}
            for slot in answer.get_json()["slots"][:10]
        ]
    assert bodies
    return bodies


def _real_values(
    booking_ids: list[int], tutor_ids: list[int], free: list[dict[str, t.Any]]
) -> list[RealValues]:
    # Times on the tutors' 15-minute grid in the fortnight after the test clock's now, so
    # some requests find a free slot and book or move it.
    starts = st.integers(0, 14 * 96).map(lambda n: (NOW + dt.timedelta(minutes=15 * n)).isoformat())
    days = st.integers(-3, 21).map(lambda n: (NOW.date() + dt.timedelta(days=n)).isoformat())
    zones = st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York", "Asia/Kathmandu"])
    subjects = st.sampled_from([slug for slug, _ in demo.SUBJECTS])
    durations = st.sampled_from([30, 45, 60])
    return [
        RealValues("body", ("tutor_id", "subject", "start", "duration"), st.sampled_from(free)),
        _one("path_parameters", "booking_id", st.sampled_from(booking_ids)),
        _one("path_parameters", "tutor_id", st.sampled_from(tutor_ids)),
        _one("query", "subject", subjects),
        _one("query", "start", days),
        _one("query", "end", days),
        _one("query", "tz", zones),
        _one("query", "duration", durations),
        _one("body", "tutor_id", st.sampled_from(tutor_ids)),
        _one("body", "subject", subjects),
        _one("body", "start", starts),
        _one("body", "duration", durations),
        _one("body", "timezone", zones),
    ]


def _use_real_values(case: schemathesis.Case, data: st.DataObject, real: list[RealValues]) -> None:
    """Replace most generated inputs with real ones: random ids and slugs almost never exist,
    and the answers about rows that do are the ones most worth checking."""
    for where in ("path_parameters", "query", "body"):
        values = getattr(case, where)
        if not isinstance(values, dict):
            continue
        chosen = dict(values)
        replaced: set[str] = set()
        for replacement in real:
            names = set(replacement.names)
            fits = replacement.where == where and names <= set(chosen) - replaced
            if fits and data.draw(st.sampled_from([True, True, False])):
                chosen.update(data.draw(replacement.values))
                replaced |= names
        setattr(case, where, chosen)


def _api_rules(app: Flask) -> set[tuple[str, str]]:
    return {
        (_VARIABLE.sub(r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def _described(document: dict[str, t.Any]) -> set[tuple[str, str]]:
    methods = {"get", "put", "post", "delete", "patch"}
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in methods
    }


def test_every_api_route_is_described_and_every_description_has_a_route(world: World) -> None:
    response = world.app.test_client().get(DOCUMENT)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert _described(response.get_json()) == _api_rules(world.app)


def test_the_document_is_valid_openapi(world: World) -> None:
    world.schema.validate()
    results = list(world.schema.get_all_operations())
    broken = [str(result.err()) for result in results if isinstance(result, Err)]
    assert broken == []
    assert results
    # Ids are bounded by the columns they are stored in, the same bound the router applies.
    ids = world.schema.raw_schema["components"]["schemas"]["Id"]
    assert (ids["minimum"], ids["maximum"]) == (1, MAX_ID)


def test_plugins_describe_their_own_paths(world: World) -> None:
    assert "/api/v1/recommendations" not in core_document()["paths"]
    assert "/api/v1/recommendations" in world.schema.raw_schema["paths"]


@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("learner", 200), ("tutor", 200)])
def test_the_callers_are_who_they_claim(world: World, role: str, status: int) -> None:
    operation = world.schema.find_operation_by_label("GET /api/v1/me/calendar-token")
    assert operation is not None
    caller = world.callers[role]
    response = operation.Case().call(headers=caller.headers, cookies=caller.cookies)
    assert response.status_code == status


class _Claims:
    def __init__(self, paths: dict[str, dict[str, t.Any]]) -> None:
        self.paths = paths

    @hookimpl
    def api_paths(self) -> dict[str, dict[str, t.Any]]:
        return self.paths


@pytest.mark.parametrize(
    "path",
    ["/api/v1/bookings", "/api/v1/recommendations", "/lti/launch"],
    ids=["core-path", "plugin-path", "outside-the-api"],
)
def test_a_path_described_twice_or_outside_the_api_is_refused(
    world: World, register_plugin: t.Any, path: str
) -> None:
    register_plugin(_Claims({path: {"get": {"responses": {"200": {"description": "ok"}}}}}))
    with pytest.raises(ApiDocumentError, match=re.escape(path)):
        api_document()


def _fuzz(world: World, role: str, mode: GenerationMode, label: str) -> None:
    operation = world.schema.find_operation_by_label(label)
    assert operation is not None
    caller = world.callers[role]

    @hypothesis.settings(
        max_examples=-(-world.examples[mode] // 2) if role == "anonymous" else world.examples[mode],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case: schemathesis.Case, data: st.DataObject) -> None:
        _use_real_values(case, data, world.real)
        try:
            response = case.call(headers=caller.headers, cookies=caller.cookies)
        finally:
            db.session.rollback()
        case.validate_response(response, checks=CHECKS, headers=caller.headers)

    run()


def _runs() -> list[tuple[str, GenerationMode]]:
    """Each operation in each mode; an operation that takes no input has nothing to negate."""
    # Read from a throwaway app so the parameters exist at collection time.
    with app_in_context("sqlite://") as app:
        document = app.test_client().get(DOCUMENT).get_json()
    runs = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            label = f"{method.upper()} {path}"
            runs.append((label, GenerationMode.POSITIVE))
            if "parameters" in item or "parameters" in operation or "requestBody" in operation:
                runs.append((label, GenerationMode.NEGATIVE))
    return sorted(runs)


@pytest.mark.parametrize(("label", "mode"), _runs())
@pytest.mark.parametrize("role", ROLES)
def test_every_answer_is_documented_and_none_is_a_server_error(
    world: World, role: str, label: str, mode: GenerationMode
) -> None:
    _fuzz(world, role, mode, label)
