"""Registering the tool with Moodle.

Moodle supports LTI Dynamic Registration: the administrator pastes one URL of the tool and
Moodle and the tool exchange the rest. ``/lti/config/moodle`` names that URL, carries the client
metadata the tool sends, and lists the values of Moodle's manual form for sites that configure
the tool by hand.

Two things in Moodle's side of the exchange depart from the generic reading:

- its OpenID configuration lists ``messages_supported`` as bare strings
  (``["LtiResourceLinkRequest", "LtiDeepLinkingRequest"]``) where the specification has objects
  with a ``type``; read as objects, the tool would offer Moodle no message at all, and Moodle
  turns the activity picker (deep linking) on only when the registration carries an
  ``LtiDeepLinkingRequest`` message;
- it takes the tool's description from the ``lti-tool-configuration`` object, not from the top
  level, so the description goes in both.
"""

from __future__ import annotations

import typing as t
from collections.abc import Mapping

from lti_tool.api import PLATFORM_CONFIGURATION
from lti_tool.api import TOOL_CONFIGURATION
from lti_tool.api import TOOL_DESCRIPTION
from lti_tool.api import TOOL_NAME
from lti_tool.api import RegistrationDocument
from lti_tool.api import ToolUrls

DYNAMIC_REGISTRATION_PATH = "/lti/dynamic-registration"


def with_message_objects(platform: Mapping[str, t.Any]) -> dict[str, t.Any]:
    """*platform*'s OpenID configuration with bare message type names made into objects."""
    lti = platform.get(PLATFORM_CONFIGURATION)
    if not isinstance(lti, Mapping) or not isinstance(lti.get("messages_supported"), list):
        return dict(platform)
    messages: list[t.Any] = lti["messages_supported"]
    objects = [{"type": item} if isinstance(item, str) else item for item in messages]
    return {**platform, PLATFORM_CONFIGURATION: {**lti, "messages_supported": objects}}


class MoodleRegistration(RegistrationDocument):
    """The dynamic registration URL first, then the manual form's values."""

    def client_metadata(self, urls: ToolUrls) -> dict[str, t.Any]:
        metadata = super().client_metadata(urls)
        metadata[TOOL_CONFIGURATION]["description"] = TOOL_DESCRIPTION
        return metadata

    def dynamic_registration(
        self, urls: ToolUrls, platform: Mapping[str, t.Any]
    ) -> dict[str, t.Any]:
        return super().dynamic_registration(urls, with_message_objects(platform))

    def manual_form(self, urls: ToolUrls) -> dict[str, t.Any]:
        """Site administration > Plugins > External tool > Manage tools > configure a tool
        manually, field by field."""
        return {
            "Tool name": TOOL_NAME,
            # The embedded frame's camera and microphone permissions are granted to this URL's
            # origin, so it must be the tool's own.
            "Tool URL": urls.launch,
            "Tool description": TOOL_DESCRIPTION,
            "LTI version": "LTI 1.3",
            "Public key type": "Keyset URL",
            "Public keyset": urls.jwks,
            "Initiate login URL": urls.login,
            "Redirection URI(s)": [urls.launch],
            "Supports Deep Linking (Content-Item Message)": True,
            "Content Selection URL": urls.deep_linking,
            "IMS LTI Assignment and Grade Services": (
                "Use this service for grade sync and column management"
            ),
            "IMS LTI Names and Role Provisioning": (
                "Use this service to retrieve members' information as per privacy settings"
            ),
            "Share launcher's name with tool": "Always",
            "Share launcher's email with tool": "Always",
        }

    def document(self, urls: ToolUrls) -> dict[str, t.Any]:
        return {
            "dynamic_registration_url": urls.base_url + DYNAMIC_REGISTRATION_PATH,
            # The bare URL is refused: registration needs an invitation made by an admin.
            "dynamic_registration_how": (
                "Run lti-tool platform invite and paste the one-time URL it prints as "
                "Moodle's 'Tool URL' under 'Configure a tool' > 'Add LTI Advantage'"
            ),
            "client_metadata": self.client_metadata(urls),
            "manual": self.manual_form(urls),
            "then": (
                "After a manual setup Moodle shows the client id and deployment id under 'View "
                "configuration details'; register them with lti-tool platform add --lms moodle "
                "--issuer <site URL> --client-id <client id> --deployment-id <deployment id>"
            ),
        }
