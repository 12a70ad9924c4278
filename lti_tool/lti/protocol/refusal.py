"""The refusal page every failed LTI step shows, and the log every LTI room writes to."""

from __future__ import annotations

import logging

from flask import current_app
from flask import render_template
from flask import request
from werkzeug.wrappers import Response

log = logging.getLogger("lti_tool.lti")


def refuse(reason: str, status: int = 400) -> Response:
    """A page that fits in the LMS iframe, says what was wrong, and is logged."""
    log.warning(
        "LTI %s refused (%s): %s [from %s]", request.path, status, reason, request.remote_addr
    )
    page = render_template("lti/error.html", reason=reason, status=status)
    response = current_app.make_response((page, status))
    response.headers["Cache-Control"] = "no-store"
    return response
