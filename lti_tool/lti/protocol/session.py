"""What the signed-in session remembers about the launch it came from.

A session started by a launch lives in the LMS's iframe, a third-party context: over HTTPS its
cookie is sent ``SameSite=None; Secure; Partitioned`` so the browser keeps it there (and keeps
it apart from the tool's own top-level site). Sessions of the standalone site keep the
application's defaults.
"""

from __future__ import annotations

import typing as t
from dataclasses import asdict
from dataclasses import dataclass

from flask import Flask
from flask import has_request_context
from flask import request
from flask import session
from flask.sessions import SecureCookieSessionInterface

from lti_tool.lti.products.registry import products
from lti_tool.lti.protocol.launch import DeepLinkingSettings
from lti_tool.lti.protocol.launch import Launch
from lti_tool.models import Registration
from lti_tool.models import db

SESSION_KEY = "lti"


@dataclass(frozen=True)
class LaunchContext:
    """The launch behind the current session, for pages that act on the course."""

    registration_id: int
    deployment_id: int
    course_id: int | None
    roles: tuple[str, ...]
    return_url: str
    deep_linking: DeepLinkingSettings | None = None
    """Set for a deep linking launch: what the activity picker may return, and where."""


def remember(
    launch: Launch, *, registration_id: int, deployment_id: int, course_id: int | None
) -> None:
    """Store the launch in the (just signed-in) session."""
    session[SESSION_KEY] = {
        "registration_id": registration_id,
        "deployment_id": deployment_id,
        "course_id": course_id,
        "roles": sorted(role.value for role in launch.roles),
        "return_url": launch.presentation.return_url,
        "deep_linking": asdict(launch.deep_linking) if launch.deep_linking else None,
    }


def room_needs_own_window() -> bool:
    """Whether the LMS frame this session was launched in is known to refuse the camera or the
    microphone, so the video room must open outside it."""
    launch = current_launch()
    registration = db.session.get(Registration, launch.registration_id) if launch else None
    if registration is None:
        return False
    granted = products().bound(registration).frame_permissions
    return granted is not None and not {"camera", "microphone"} <= granted


def current_launch() -> LaunchContext | None:
    """The launch the current session came from, or None for a standalone session."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        linking = data.get("deep_linking")
        return LaunchContext(
            registration_id=int(data["registration_id"]),
            deployment_id=int(data["deployment_id"]),
            course_id=int(data["course_id"]) if data.get("course_id") is not None else None,
            roles=tuple(data.get("roles") or ()),
            return_url=str(data.get("return_url") or ""),
            deep_linking=_deep_linking(linking) if isinstance(linking, dict) else None,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _deep_linking(data: dict[str, t.Any]) -> DeepLinkingSettings:
    # The session's JSON turns tuples into lists; the settings keep tuples. ``data`` is the
    # platform's opaque value and goes back exactly as it came.
    fields: dict[str, t.Any] = {
        key: tuple(value) if isinstance(value, list) and key != "data" else value
        for key, value in data.items()
    }
    return DeepLinkingSettings(**fields)


class EmbeddedSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie survives inside an LMS iframe."""

    @staticmethod
    def _embedded() -> bool:
        return has_request_context() and request.is_secure and SESSION_KEY in session

    def get_cookie_secure(self, app: Flask) -> bool:
        return True if self._embedded() else super().get_cookie_secure(app)

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if self._embedded() else super().get_cookie_samesite(app)

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return True if self._embedded() else super().get_cookie_partitioned(app)


def _template_launch() -> dict[str, t.Any]:
    # Pages of the booking flow pass the launch's course on, so bookings made inside a
    # course are credited in its gradebook.
    return {"lti_launch": current_launch()}


def init_app(app: Flask) -> None:
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = EmbeddedSessionInterface()
    app.context_processor(_template_launch)
