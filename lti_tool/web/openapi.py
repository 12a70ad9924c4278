"""``GET /api/v1/openapi.json``: the OpenAPI document of the JSON API.

The core describes its own routes in ``openapi.json`` beside this module. Each plugin describes
the routes it adds through the ``api_paths`` hook, so the core never needs to know them, and a
plugin that is not installed leaves no stale paths behind.
"""

from __future__ import annotations

import copy
import functools
import json
import typing as t
from importlib import resources

from flask import Blueprint
from flask import Response
from flask import jsonify

from lti_tool.plugins import pm

bp = Blueprint("openapi", __name__)

API_PREFIX = "/api/v1/"


class ApiDocumentError(ValueError):
    """A plugin's contribution to the document cannot be merged into it."""


@functools.cache
def core_document() -> dict[str, t.Any]:
    """The core's own part, as shipped; callers must not change it (it is read once)."""
    text = resources.files("lti_tool.web").joinpath("openapi.json").read_text(encoding="utf-8")
    document: dict[str, t.Any] = json.loads(text)
    return document


def api_document() -> dict[str, t.Any]:
    """The core's document with every plugin's paths added.

    :raises ApiDocumentError: a plugin describes a path outside ``/api/v1/`` or one that is
        already described, which would silently replace another description.
    """
    document = copy.deepcopy(core_document())
    paths: dict[str, t.Any] = document["paths"]
    for contribution in pm.hook.api_paths():
        for path, item in contribution.items():
            if not path.startswith(API_PREFIX):
                raise ApiDocumentError(f"{path}: API paths start with {API_PREFIX}")
            if path in paths:
                raise ApiDocumentError(f"{path} is described twice")
            paths[path] = item
    return document


@bp.get("/api/v1/openapi.json")
def openapi_document() -> Response:
    """The document, for anyone: it describes the API, not anybody's data."""
    return jsonify(api_document())
