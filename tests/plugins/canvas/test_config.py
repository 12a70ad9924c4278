"""``/lti/config/canvas``: the JSON of a Canvas LTI developer key."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from lti_tool.lti.products.tool_config import SCOPES

TOOL = "https://tool.example"


def test_developer_key_json(app: Flask, client: FlaskClient) -> None:
    app.config["BASE_URL"] = TOOL
    response = client.get("/lti/config/canvas")

    assert response.status_code == 200
    document = response.json
    assert document is not None
    assert document["oidc_initiation_url"] == f"{TOOL}/lti/login"
    assert document["target_link_uri"] == f"{TOOL}/lti/launch"
    assert document["public_jwk_url"] == f"{TOOL}/.well-known/jwks.json"
    assert document["title"] and document["description"]
    assert set(document["scopes"]) == set(SCOPES)
    assert document["custom_fields"]["canvas_user_id"] == "$Canvas.user.id"
    (extension,) = document["extensions"]
    assert extension["platform"] == "canvas.instructure.com"
    assert extension["domain"] == "tool.example"
    assert extension["privacy_level"] == "public"
    placements = {p["placement"]: p for p in extension["settings"]["placements"]}
    assert placements.keys() == {"course_navigation", "link_selection", "assignment_selection"}
    assert placements["course_navigation"]["message_type"] == "LtiResourceLinkRequest"
    for picker in ("link_selection", "assignment_selection"):
        assert placements[picker]["message_type"] == "LtiDeepLinkingRequest"
        assert placements[picker]["target_link_uri"] == f"{TOOL}/lti/launch"
