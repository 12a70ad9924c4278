"""How ``GET /api/v1/recommendations`` appears in the API's OpenAPI document (``api_paths``)."""

from __future__ import annotations

import typing as t

from lti_tool_recommend.api import MAX_DAYS
from lti_tool_recommend.api import MAX_LIMIT

_TEXT = {"type": "string"}


def _query(name: str, schema: dict[str, t.Any], description: str) -> dict[str, t.Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _object(properties: dict[str, t.Any]) -> dict[str, t.Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


_TUTOR = _object(
    {
        "id": {"$ref": "#/components/schemas/Id"},
        "name": _TEXT,
        "headline": _TEXT,
        "timezone": _TEXT,
        "languages": {"type": "array", "items": _TEXT},
        "price_cents": {"type": "integer", "minimum": 0},
        "currency": _TEXT,
        "subjects": {"type": "array", "items": {"$ref": "#/components/schemas/TaughtSubject"}},
        "next_free": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "The start of the tutor's first free slot soon, or null.",
        },
        "reason": {**_TEXT, "description": "Why this tutor is suggested, in a few words."},
        "url": {**_TEXT, "description": "The tutor's page."},
    }
)

_RECOMMENDATIONS = _object(
    {
        "title": _TEXT,
        "ranking": {"type": "string", "enum": ["popularity", "model"]},
        "model": {
            "oneOf": [
                _object({"version": _TEXT, "trained_at": {**_TEXT, "format": "date-time"}}),
                {"type": "null"},
            ]
        },
        "subject": {"oneOf": [{"$ref": "#/components/schemas/SubjectRef"}, {"type": "null"}]},
        "tutors": {"type": "array", "items": _TUTOR},
    }
)


def api_paths() -> dict[str, dict[str, t.Any]]:
    return {
        "/api/v1/recommendations": {
            "get": {
                "operationId": "recommendations",
                "tags": ["tutors"],
                "summary": "Ranked tutors with a reason each: the data of a 'Recommended' block.",
                "security": [{}, {"sessionCookie": []}],
                "parameters": [
                    _query("subject", _TEXT, "A subject slug or id."),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10},
                        "At most this many tutors.",
                    ),
                    _query("language", _TEXT, "A language code such as es or pt-br."),
                    _query(
                        "max_price",
                        _TEXT,
                        "The highest price per hour, in units of the site's currency (35.00).",
                    ),
                    _query(
                        "free_within_days",
                        {"type": "integer", "minimum": 1, "maximum": MAX_DAYS},
                        "Only tutors with a free slot within this many days.",
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "The tutors, best first.",
                        "content": {"application/json": {"schema": _RECOMMENDATIONS}},
                    },
                    "400": {"$ref": "#/components/responses/BadRequest"},
                },
            }
        }
    }
