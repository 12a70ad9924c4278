"""``lti-tool new-plugin NAME``: the skeleton of a plugin distribution that installs, is found
through the ``lti_tool`` entry-point group, and passes its own test against the real tool.

The skeleton shows the shape every plugin has: hooks in the package root, the core reached only
through :mod:`lti_tool.api`, settings from :func:`lti_tool.api.plugin_settings`, and tests on
the :mod:`lti_tool.testing` pytest plugin.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

#: Lower-case letters, digits and underscores, starting with a letter: a Python identifier
#: that is also a fine entry-point and URL name.
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")

_FILES: dict[str, str] = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "$distribution"
version = "0.1.0"
description = "$title: a plugin of the tutoring tool"
requires-python = ">=3.11"
dependencies = ["lti-tool"]

# The tool finds plugins through this group; the entry point's name is the plugin's name.
[project.entry-points.lti_tool]
$name = "$package"

[tool.setuptools.packages.find]
include = ["$package*"]

[tool.pytest.ini_options]
testpaths = ["tests"]
""",
    "README.md": """\
# $distribution

$title, a plugin of the tutoring tool.

    pip install -e .                # next to the tool, in its environment
    lti-tool plugins                # lists "$name 0.1.0: register_blueprints"
    python -m pytest                # its tests, against the real tool on SQLite

`GET /$name/upcoming` answers how many confirmed sessions the signed-in person has coming up
as a learner. Settings go in the tool's file under `[plugins.$name]`, or in
`LTI_TOOL_${upper}_<KEY>` environment variables.
""",
    "$package/__init__.py": '''\
"""$title: a plugin of the tutoring tool.

Hook implementations live here; the core is reached only through ``lti_tool.api``.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import Blueprint
from flask import Response
from flask import jsonify

from lti_tool import hookimpl
from lti_tool.api import Booking
from lti_tool.api import BookingState
from lti_tool.api import current_time
from lti_tool.api import current_user
from lti_tool.api import db
from lti_tool.api import require_user

bp = Blueprint("$name", __name__)


@bp.get("/$name/upcoming")
@require_user
def upcoming() -> Response:
    """How many confirmed sessions the signed-in person has coming up as a learner."""
    user = current_user()
    assert user is not None  # require_user has checked
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(
            Booking.learner_id == user.id,
            Booking.state == BookingState.CONFIRMED,
            Booking.start_at > current_time(),
        )
    )
    return jsonify({"upcoming": count})


@hookimpl
def register_blueprints(register: t.Callable[[Blueprint], None]) -> None:
    register(bp)
''',
    "tests/conftest.py": '''\
"""The tool's pytest plugin gives ``app``, ``client`` and ``runner``."""

pytest_plugins = ["lti_tool.testing"]
''',
    "tests/test_$name.py": '''\
"""The plugin against the real tool, with every installed plugin loaded."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient

from lti_tool.api import BookingState
from lti_tool.api import RoleName
from lti_tool.api import Subject
from lti_tool.api import TutorProfile
from lti_tool.api import User
from lti_tool.api import current_time
from lti_tool.api import db
from lti_tool.testing import make_booking
from lti_tool.testing import sign_in


def person(name: str, role: RoleName) -> User:
    user = User(name=name, email=f"{name.lower()}@example.org", timezone="UTC")
    user.add_role(role)
    db.session.add(user)
    return user


def test_upcoming_counts_the_confirmed_sessions_ahead(client: FlaskClient) -> None:
    algebra = Subject(slug="algebra", name="Algebra")
    tutor = TutorProfile(user=person("Tess", RoleName.TUTOR), timezone="Europe/Paris")
    learner = person("Lee", RoleName.LEARNER)
    now = current_time()
    for days, state in (
        (1, BookingState.CONFIRMED),
        (2, BookingState.CANCELLED),
        (-3, BookingState.COMPLETED),
    ):
        make_booking(tutor, learner, now + dt.timedelta(days=days), subject=algebra, state=state)
    db.session.commit()

    answer = sign_in(client, learner).get("/$name/upcoming")

    assert answer.status_code == 200
    assert answer.get_json() == {"upcoming": 1}


def test_upcoming_is_for_signed_in_people(client: FlaskClient) -> None:
    assert client.get("/$name/upcoming").status_code == 401
''',
}


class PluginNameRefused(ValueError):
    """The name cannot be a plugin's; the message says why."""


def create_plugin(name: str, directory: Path) -> Path:
    """Write the skeleton of plugin *name* into ``directory/lti-tool-<name>``; its path.

    :raises PluginNameRefused: *name* is not a lower-case identifier, or the folder exists.
    """
    if not NAME.fullmatch(name):
        raise PluginNameRefused(
            f"{name!r}: a plugin's name is lower-case letters, digits and underscores, "
            "starting with a letter (at most 40)"
        )
    distribution = "lti-tool-" + name.replace("_", "-")
    target = directory / distribution
    if target.exists():
        raise PluginNameRefused(f"{target} already exists; nothing was written")
    values = {
        "name": name,
        "upper": name.upper(),
        "package": f"lti_tool_{name}",
        "distribution": distribution,
        "title": name.replace("_", " ").capitalize(),
    }
    for relative, text in _FILES.items():
        path = target / Template(relative).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values), encoding="utf-8")
    return target
