"""In development, anyone may sign in as a demo person; elsewhere the core offers no sign-in."""

from __future__ import annotations

from flask import current_app
from flask import url_for

from lti_tool import hookimpl


@hookimpl(trylast=True)
def sign_in_url(next_url: str) -> str | None:
    if current_app.config["MODE"] != "development":
        return None
    return url_for("pages.dev_sign_in_page", next=next_url)
