"""``/lti/config/moodle``: the dynamic registration URL, then the manual form's values."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

TOOL = "https://tool.example"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


def test_registration_document(app: Flask, client: FlaskClient) -> None:
    app.config["BASE_URL"] = TOOL
    response = client.get("/lti/config/moodle")

    assert response.status_code == 200
    document = response.json
    assert document is not None
    assert document["dynamic_registration_url"] == f"{TOOL}/lti/dynamic-registration"
    assert "lti-tool platform invite" in document["dynamic_registration_how"]
    # What the tool posts to Moodle during dynamic registration: the generic client metadata.
    metadata = document["client_metadata"]
    assert metadata["initiate_login_uri"] == f"{TOOL}/lti/login"
    assert metadata["jwks_uri"] == f"{TOOL}/.well-known/jwks.json"
    assert metadata[TOOL_CONFIGURATION]["domain"] == "tool.example"
    manual = document["manual"]
    assert manual["LTI version"] == "LTI 1.3"
    assert manual["Public key type"] == "Keyset URL"
    assert manual["Public keyset"] == f"{TOOL}/.well-known/jwks.json"
    assert manual["Initiate login URL"] == f"{TOOL}/lti/login"
    assert manual["Redirection URI(s)"] == [f"{TOOL}/lti/launch"]
    # Moodle grants its frame's camera and microphone to the Tool URL's origin.
    assert manual["Tool URL"].startswith(TOOL + "/")
    assert "lti-tool platform add --lms moodle" in document["then"]
