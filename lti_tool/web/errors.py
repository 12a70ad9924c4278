"""Errors as JSON under /api/ and as pages elsewhere, always with a reason."""

from __future__ import annotations

import logging

from flask import Flask
from flask import Response
from flask import jsonify
from flask import make_response
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    # A caller that sends JSON (an API client, a webhook) reads the answer as JSON too.
    return request.path.startswith("/api/") or request.is_json


def error_response(status: int, error: str, detail: str) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify({"error": error, "detail": detail}), status
    return render_template("error.html", status=status, error=error, detail=detail), status


def handle_http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    response = make_response(error_response(status, exc.name, exc.description or exc.name))
    # Headers the error itself calls for (Retry-After on 429, Allow on 405) go out with it.
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_unexpected(exc: Exception) -> tuple[Response | str, int]:
    log.exception("unhandled error on %s %s", request.method, request.path)
    server_error = InternalServerError()
    return error_response(500, server_error.name, "Something went wrong on our side.")


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    if not app.config.get("TESTING"):
        app.register_error_handler(Exception, handle_unexpected)
