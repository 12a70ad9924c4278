from __future__ import annotations

import html
import re
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from lti_tool.models import Course
from lti_tool.models import Enrollment
from lti_tool.models import LtiIdentity
from lti_tool.models import Subject
from lti_tool.models import UsedNonce
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.testing import make_test_app as make_app
from tests.conftest import fresh_module_database
from tests.live_server import live_server
from tests.lti.platform import LmsPlatform
from tests.lti.platform import register_with_tool
from tests.lti.platform import serve

COUNTED = {
    "users": User,
    "identities": LtiIdentity,
    "courses": Course,
    "enrollments": Enrollment,
    "nonces": UsedNonce,
}


def form_fields(page: str) -> dict[str, str]:
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)
    }


def data_attributes(page: str) -> dict[str, str]:
    return {
        name: html.unescape(value) for name, value in re.findall(r'data-([\w-]+)="([^"]*)"', page)
    }


@dataclass
class Tool:
    """The tool behind a live server, one registered platform, and a browser's cookie jar."""

    app: Flask
    url: str
    platform: LmsPlatform
    browser: requests.Session

    def start(self, browser: requests.Session | None = None, **extra: t.Any) -> dict[str, str]:
        """OIDC login initiation; returns the authentication request the tool redirected to."""
        response = (browser or self.browser).get(
            self.platform.login_url(**extra), allow_redirects=False
        )
        assert response.status_code == 302, response.text
        location = response.headers["Location"]
        assert location.startswith(self.platform.auth_url + "?")
        return dict(parse_qsl(urlsplit(location).query))

    def post(
        self, id_token: str, state: str, browser: requests.Session | None = None
    ) -> requests.Response:
        return (browser or self.browser).post(
            f"{self.url}/lti/launch",
            data={"id_token": id_token, "state": state},
            allow_redirects=False,
        )

    def launch(self, **claims: t.Any) -> requests.Response:
        """A whole valid launch; returns the tool's answer to the id_token post."""
        auth = self.start()
        token = self.platform.sign(self.platform.message(auth, **claims))
        return self.post(token, auth["state"])

    def follow(self, response: requests.Response) -> requests.Response:
        assert response.status_code == 302, response.text
        return self.browser.get(self.url + response.headers["Location"])

    def counts(self) -> dict[str, int]:
        db.session.rollback()
        return {
            name: int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
            for name, model in COUNTED.items()
        }


class _Dispatcher:
    """Forwards to the current test's application, so one live server serves every test."""

    def __init__(self) -> None:
        self.app: Flask | None = None

    def __call__(self, environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        assert self.app is not None, "no application is being served"
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def served() -> Iterator[tuple[_Dispatcher, str]]:
    dispatcher = _Dispatcher()
    shell = Flask("lti-test-server")
    shell.wsgi_app = dispatcher  # type: ignore[method-assign]
    with live_server(shell) as url:
        yield dispatcher, url


@contextmanager
def running_tool(app: Flask, dispatcher: _Dispatcher, url: str) -> Iterator[Tool]:
    """*app* served at *url*, with a test platform registered and a browser to drive it."""
    dispatcher.app = app
    app.config["BASE_URL"] = url
    with serve(LmsPlatform(tool_url=url)) as platform, requests.Session() as browser:
        register_with_tool(platform)
        db.session.add(Subject(slug="algebra", name="Algebra"))
        db.session.commit()
        yield Tool(app=app, url=url, platform=platform, browser=browser)
    dispatcher.app = None


@pytest.fixture
def tool(app: Flask, served: tuple[_Dispatcher, str]) -> Iterator[Tool]:
    with running_tool(app, *served) as running:
        yield running


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def shared_tool(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    served: tuple[_Dispatcher, str],
) -> Iterator[Tool]:
    """One tool for a whole module of refused launches: none of them may write anything."""
    database_url = fresh_module_database(request, tmp_path_factory, "lti")
    app = make_app(database_url)
    with app.app_context():
        if request.param == "sqlite":
            db.create_all()
        with running_tool(app, *served) as running:
            yield running
        db.session.remove()
        db.engine.dispose()
