"""The application factory."""

from __future__ import annotations

import importlib
import typing as t
from collections.abc import Mapping

from flask import Blueprint
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from lti_tool import database
from lti_tool import metrics
from lti_tool import realtime
from lti_tool import reminders
from lti_tool import sealing
from lti_tool.config import load_config
from lti_tool.jobs import queue
from lti_tool.lti.products.registry import ProductRegistry
from lti_tool.plugins import load_plugins
from lti_tool.plugins import pm

#: Modules of the core's own pages and APIs, each with a module-level ``bp``.
CORE_BLUEPRINT_MODULES: tuple[str, ...] = (
    "lti_tool.web.views",
    "lti_tool.web.slots_api",
    "lti_tool.web.bookings_api",
    "lti_tool.web.tutor_settings",
    "lti_tool.web.calendar",
    "lti_tool.web.pages",
    "lti_tool.web.openapi",
    "lti_tool.lti.protocol.views",
    "lti_tool.lti.course.course_view",
    "lti_tool.lti.course.picker",
    "lti_tool.lti.platforms.dynamic_registration",
)


def create_app(config: Mapping[str, t.Any] | None = None) -> Flask:
    """Build the application.

    :param config: settings that win over every other layer (tests pass their database here).
    :raises lti_tool.config.ConfigError: naming the first setting that is missing or wrong.
    :raises lti_tool.plugins.PluginLoadError: naming the plugin that failed to import.
    """
    settings = load_config(config)
    app = Flask(__name__, instance_relative_config=True)
    app.config.update({key.upper(): value for key, value in settings.items()})
    app.config["SECRET_KEY"] = settings["secret_key"]
    app.config["TESTING"] = bool(settings.get("testing", False))
    app.config["PREFERRED_URL_SCHEME"] = settings["base_url"].split(":", 1)[0]
    # Behind a TLS-terminating proxy the scheme decides whether cookies can be Secure, which
    # LMS iframes need. Without a proxy the headers come from the client and would let it pick
    # its own address for the rate limits, so they are believed only for the configured hops.
    if hops := settings["trusted_proxies"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    load_plugins(settings["load_plugins"] or None)
    sealing.init_app(app)
    database.init_app(app)
    realtime.init_app(app)
    queue.init_app(app)
    reminders.init_app(app)
    metrics.init_app(app)

    products = ProductRegistry()
    pm.hook.lms_products(register=products.register)
    app.extensions["lti_tool.products"] = products

    from lti_tool.web import csrf
    from lti_tool.web import errors
    from lti_tool.web import input_guard
    from lti_tool.web import money_filters
    from lti_tool.web import request_log
    from lti_tool.web import security

    errors.init_app(app)
    request_log.init_app(app)
    input_guard.init_app(app)
    csrf.init_app(app)
    money_filters.init_app(app)
    security.init_app(app)
    blueprints: list[Blueprint] = [
        importlib.import_module(name).bp for name in CORE_BLUEPRINT_MODULES
    ]
    pm.hook.register_blueprints(register=blueprints.append)
    seen: set[str] = set()
    for blueprint in blueprints:
        if blueprint.name in seen:
            raise ValueError(f"two blueprints are named {blueprint.name!r}")
        seen.add(blueprint.name)
        app.register_blueprint(blueprint)
    pm.hook.register_socketio(socketio=realtime.socketio)
    return app
