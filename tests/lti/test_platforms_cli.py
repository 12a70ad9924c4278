"""``lti-tool platform`` and ``lti-tool deployment``: what is given is stored, bad input is not."""

from __future__ import annotations

import typing as t
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

import lti_tool.cli
from lti_tool import hookimpl
from lti_tool.lti.products.product import Product
from lti_tool.models import Course
from lti_tool.models import Deployment
from lti_tool.models import Registration
from lti_tool.models import db
from lti_tool.testing import app_in_context

GENERIC = [
    "platform",
    "add",
    "--lms",
    "generic",
    "--issuer",
    "https://lms.example.edu",
    "--client-id",
    "client-1",
    "--deployment-id",
    "dep-1",
    "--auth-login-url",
    "https://lms.example.edu/auth",
    "--auth-token-url",
    "https://lms.example.edu/token",
    "--key-set-url",
    "https://lms.example.edu/jwks",
]


def run(app: Flask, *args: str, stdin: str | None = None) -> Result:
    return app.test_cli_runner().invoke(lti_tool.cli.cli, list(args), input=stdin)


def rows() -> tuple[int, int]:
    db.session.rollback()
    registrations = db.session.scalar(sa.select(sa.func.count()).select_from(Registration))
    deployments = db.session.scalar(sa.select(sa.func.count()).select_from(Deployment))
    return int(registrations or 0), int(deployments or 0)


def test_generic_platform_is_stored_as_given(app: Flask) -> None:
    result = run(app, *GENERIC)
    assert result.exit_code == 0, result.output
    registration = db.session.scalars(sa.select(Registration)).one()
    assert (registration.lms, registration.issuer, registration.client_id) == (
        "generic",
        "https://lms.example.edu",
        "client-1",
    )
    assert registration.auth_login_url == "https://lms.example.edu/auth"
    assert registration.auth_token_url == "https://lms.example.edu/token"
    assert registration.key_set_url == "https://lms.example.edu/jwks"
    assert [d.deployment_id for d in registration.deployments] == ["dep-1"]

    added = run(
        app,
        *("deployment", "add", "--issuer", "https://lms.example.edu", "--client-id", "client-1"),
        *("--deployment-id", "dep-2", "--institution-paid"),
    )
    assert added.exit_code == 0, added.output
    listed = run(app, "platform", "list")
    assert "https://lms.example.edu" in listed.output
    assert "dep-1, dep-2 (institution pays)" in listed.output
    paid = db.session.scalar(sa.select(Deployment).where(Deployment.deployment_id == "dep-2"))
    assert paid is not None and paid.institution_paid


BAD_ADDS: dict[str, tuple[list[str], str]] = {
    "generic without endpoints": (GENERIC[:10], "--auth-login-url"),
    "unknown LMS": (GENERIC[:3] + ["sakai"] + GENERIC[4:], "unknown LMS 'sakai'; known: "),
    "issuer not a URL": (GENERIC[:5] + ["lms.example.edu"] + GENERIC[6:], "--issuer"),
    "endpoint not a URL": (GENERIC[:-1] + ["ftp://lms.example.edu/jwks"], "--key-set-url"),
    "empty client id": (GENERIC[:7] + [" "] + GENERIC[8:], "--client-id is required"),
}


@pytest.mark.parametrize("case", list(BAD_ADDS))
def test_bad_platform_input_writes_nothing(app: Flask, case: str) -> None:
    args, message = BAD_ADDS[case]
    result = run(app, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "nothing was saved" in result.output
    assert rows() == (0, 0)


def test_duplicates_and_unknown_platforms_are_refused(app: Flask) -> None:
    assert run(app, *GENERIC).exit_code == 0
    again = run(app, *GENERIC)
    assert again.exit_code != 0 and "already registered" in again.output
    deployment = ["deployment", "add", "--issuer", "https://lms.example.edu"]
    twice = run(app, *deployment, "--client-id", "client-1", "--deployment-id", "dep-1")
    assert twice.exit_code != 0 and "already registered" in twice.output
    nobody = run(app, *deployment, "--client-id", "nobody", "--deployment-id", "dep-9")
    assert nobody.exit_code != 0 and "no platform" in nobody.output
    assert rows() == (1, 1)


def test_remove_asks_before_taking_courses_along(app: Flask) -> None:
    assert run(app, *GENERIC).exit_code == 0
    deployment = db.session.scalars(sa.select(Deployment)).one()
    db.session.add(Course(deployment_id=deployment.id, context_id="c-1", title="Course"))
    db.session.commit()
    remove = ["platform", "remove", "--issuer", "https://lms.example.edu", "--client-id"]
    declined = run(app, *remove, "client-1", stdin="n\n")
    assert declined.exit_code != 0
    assert rows() == (1, 1)
    removed = run(app, *remove, "client-1", "--yes")
    assert removed.exit_code == 0, removed.output
    assert "1 deployment(s), 1 course(s)" in removed.output
    assert rows() == (0, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 0
    missing = run(app, *remove, "client-1")
    assert missing.exit_code != 0


class _Moodleish(Product):
    family = "moodleish"
    display_name = "A Moodle-like LMS"
    endpoint_templates: t.ClassVar[dict[str, str]] = {
        "auth_login_url": "{issuer}/mod/lti/auth.php",
        "auth_token_url": "{issuer}/mod/lti/token.php",
        "key_set_url": "{issuer}/mod/lti/certs.php",
    }


class _Plugin:
    @hookimpl
    def lms_products(self, register: t.Callable[[type[Product]], None]) -> None:
        register(_Moodleish)


@pytest.fixture
def app_with_product(database_url: str, register_plugin: t.Any) -> Iterator[Flask]:
    register_plugin(_Plugin())
    with app_in_context(database_url) as app:
        yield app


def test_a_product_fills_the_endpoints_it_knows(app_with_product: Flask) -> None:
    result = run(
        app_with_product,
        *("platform", "add", "--lms", "moodleish", "--issuer", "https://moodle.example.org/"),
        *("--client-id", "abc", "--deployment-id", "1"),
    )
    assert result.exit_code == 0, result.output
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.lms == "moodleish"
    assert registration.issuer == "https://moodle.example.org/"  # as given: iss is exact
    assert registration.auth_login_url == "https://moodle.example.org/mod/lti/auth.php"
    assert registration.auth_token_url == "https://moodle.example.org/mod/lti/token.php"
    assert registration.key_set_url == "https://moodle.example.org/mod/lti/certs.php"
    overridden = run(
        app_with_product,
        *("platform", "add", "--lms", "moodleish", "--issuer", "https://moodle.example.org/"),
        *("--client-id", "def", "--deployment-id", "1"),
        *("--key-set-url", "https://keys.example.org/jwks"),
    )
    assert overridden.exit_code == 0, overridden.output
    second = db.session.scalar(sa.select(Registration).where(Registration.client_id == "def"))
    assert second is not None and second.key_set_url == "https://keys.example.org/jwks"
    config = app_with_product.test_client().get("/lti/config/moodleish")
    assert config.status_code == 200
