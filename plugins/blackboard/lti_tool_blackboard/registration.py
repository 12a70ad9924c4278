"""Registering the tool with Blackboard Learn: instructions, not a document Learn reads.

Learn has nothing to paste or fetch. The tool's vendor enters the tool's URLs once in
Anthology's developer portal, and each school's Learn administrator deploys it by application
id. ``/lti/config/blackboard`` therefore answers with the values for each form and the steps
that use them, in that order.
"""

from __future__ import annotations

import typing as t

from lti_tool.api import TOOL_DESCRIPTION
from lti_tool.api import TOOL_NAME
from lti_tool.api import RegistrationDocument
from lti_tool.api import ToolUrls
from lti_tool_blackboard.endpoints import ISSUER

DEVELOPER_PORTAL = "https://developer.anthology.com"
APPLICATION_ID = "<application id>"
DEPLOYMENT_ID = "<deployment id>"


class BlackboardRegistration(RegistrationDocument):
    """What to type where: the developer portal, Learn's administrator panel, this tool."""

    def document(self, urls: ToolUrls) -> dict[str, t.Any]:
        endpoints = self.product.endpoints_for(ISSUER, APPLICATION_ID)
        return {
            "format": "instructions",
            "developer_portal": {
                "url": DEVELOPER_PORTAL,
                "application_name": TOOL_NAME,
                "description": TOOL_DESCRIPTION,
                "domains": [urls.domain],
                "my_integration_supports_lti_1_3": True,
                "login_initiation_url": urls.login,
                "tool_redirect_urls": [urls.launch],
                "tool_jwks_url": urls.jwks,
                "signing_algorithm": "RS256",
            },
            "learn_administrator": [
                "Administrator Panel > Integrations > LTI Tool Providers > "
                f"Register LTI 1.3/Advantage Tool; Client ID: {APPLICATION_ID}.",
                "Copy the Deployment ID shown under Tool Status and send it to the tool's "
                "operator.",
                "Tool Status: Approved. User fields to send: role in course, name, email "
                "address. Allow grade service access and membership service access: Yes.",
                "Manage Placements > Create Placement: type Course content tool with "
                f"'Supports deep linking', target link URI {urls.deep_linking}; and a "
                f"Course tool, target link URI {urls.launch}.",
                "For the video room tick 'Launch in New Window' on the placement: Learn has "
                "no setting for its frame's camera, microphone and screen-sharing permissions.",
            ],
            "tool_operator": [
                "The first school: lti-tool platform add --lms blackboard "
                f"--issuer {ISSUER} --client-id {APPLICATION_ID} --deployment-id {DEPLOYMENT_ID} "
                f"--key-set-url {endpoints['key_set_url']}",
                "Every further school: lti-tool deployment add "
                f"--issuer {ISSUER} --client-id {APPLICATION_ID} --deployment-id {DEPLOYMENT_ID}",
            ],
            "platform": {"issuer": ISSUER, **endpoints},
        }
