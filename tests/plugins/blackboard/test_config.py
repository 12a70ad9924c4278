"""``/lti/config/blackboard``: the values and steps for the developer portal and Learn."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

TOOL = "https://tool.example"


def test_registration_steps(app: Flask, client: FlaskClient) -> None:
    app.config["BASE_URL"] = TOOL
    response = client.get("/lti/config/blackboard")

    assert response.status_code == 200
    document = response.json
    assert document is not None and document["format"] == "instructions"
    portal = document["developer_portal"]
    assert portal["url"] == "https://developer.anthology.com"
    assert portal["domains"] == ["tool.example"]
    assert portal["login_initiation_url"] == f"{TOOL}/lti/login"
    assert portal["tool_redirect_urls"] == [f"{TOOL}/lti/launch"]
    assert portal["tool_jwks_url"] == f"{TOOL}/.well-known/jwks.json"
    steps = " ".join(document["learn_administrator"])
    assert "Register LTI 1.3/Advantage Tool" in steps and "Deployment ID" in steps
    assert "Launch in New Window" in steps
    assert document["platform"] == {
        "issuer": "https://blackboard.com",
        "auth_login_url": "https://developer.blackboard.com/api/v1/gateway/oidcauth",
        "auth_token_url": "https://developer.blackboard.com/api/v1/gateway/oauth2/jwttoken",
        "key_set_url": "https://developer.blackboard.com/api/v1/management/applications/"
        "<application id>/jwks.json",
    }
    first, further = document["tool_operator"]
    assert "lti-tool platform add --lms blackboard" in first and "--key-set-url" in first
    assert "lti-tool deployment add" in further
