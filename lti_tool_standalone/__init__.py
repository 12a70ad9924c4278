"""The public site: local accounts, the tutor catalog, dashboards and administration.

It is a plugin of the core like any other, found through the ``lti_tool`` entry-point group;
the pages of the tutoring flow (tutor page, booking, sessions, room) stay the core's, and this
package adds who you are, what you can find and what you have done around them.
"""

from __future__ import annotations

import typing as t

import click
from flask import Blueprint
from flask import url_for

from lti_tool import hookimpl
from lti_tool.api import RoleName
from lti_tool_standalone import accounts
from lti_tool_standalone import admin
from lti_tool_standalone import catalog
from lti_tool_standalone import dashboard
from lti_tool_standalone import onboarding
from lti_tool_standalone import reviews
from lti_tool_standalone.commands import users_group

site = Blueprint(
    "standalone",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/standalone",
)
# The core's tutor page includes ``tutor_profile_extras.html`` when a plugin provides it.
site.add_app_template_global(reviews.tutor_reviews, "tutor_reviews")
site.add_app_template_global(RoleName, "RoleName")


@hookimpl
def register_blueprints(register: t.Callable[[Blueprint], None]) -> None:
    register(site)
    for module in (accounts, catalog, reviews, onboarding, dashboard, admin):
        register(module.bp)


@hookimpl
def sign_in_url(next_url: str) -> str:
    return url_for("accounts.login", next=next_url)


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(users_group)
