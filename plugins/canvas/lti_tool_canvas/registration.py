"""The JSON an administrator pastes into a Canvas LTI developer key (or points it at).

Canvas reads its own format rather than dynamic registration client metadata: ``title``,
``description``, ``oidc_initiation_url``, ``target_link_uri``, ``public_jwk_url`` (the tool's key
set, used for the client credentials grant), ``scopes``, ``custom_fields`` and one
``extensions`` entry for ``platform: canvas.instructure.com`` carrying ``privacy_level`` and
the placements. The redirect URI is a separate field of the developer key and is not part of
this document.
"""

from __future__ import annotations

import typing as t

from lti_tool.api import DEEP_LINKING_REQUEST
from lti_tool.api import RESOURCE_LINK_REQUEST
from lti_tool.api import SCOPES
from lti_tool.api import TOOL_DESCRIPTION
from lti_tool.api import TOOL_NAME
from lti_tool.api import RegistrationDocument
from lti_tool.api import ToolUrls

EXTENSION_PLATFORM = "canvas.instructure.com"
#: ``public`` is the only level that sends both the name and the e-mail; the tool works with
#: less (``anonymous`` still sends ``sub``) but then greets people by their LMS id.
PRIVACY_LEVEL = "public"
#: Canvas ids the tool keeps alongside the LTI ids, for support requests that quote them.
CUSTOM_FIELDS: t.Mapping[str, str] = {
    "canvas_user_id": "$Canvas.user.id",
    "canvas_course_id": "$Canvas.course.id",
}


class CanvasRegistration(RegistrationDocument):
    """A Canvas developer-key configuration: a course navigation link to the tool, and the
    activity picker (deep linking) where Canvas adds links and assignments."""

    def placements(self, urls: ToolUrls) -> list[dict[str, t.Any]]:
        return [
            {
                "placement": "course_navigation",
                "message_type": RESOURCE_LINK_REQUEST,
                "target_link_uri": urls.launch,
                "text": TOOL_NAME,
            },
            {
                "placement": "link_selection",
                "message_type": DEEP_LINKING_REQUEST,
                "target_link_uri": urls.deep_linking,
                "text": TOOL_NAME,
            },
            {
                "placement": "assignment_selection",
                "message_type": DEEP_LINKING_REQUEST,
                "target_link_uri": urls.deep_linking,
                "text": TOOL_NAME,
            },
        ]

    def document(self, urls: ToolUrls) -> dict[str, t.Any]:
        return {
            "title": TOOL_NAME,
            "description": TOOL_DESCRIPTION,
            "oidc_initiation_url": urls.login,
            "target_link_uri": urls.target_link,
            "public_jwk_url": urls.jwks,
            "scopes": list(SCOPES),
            "custom_fields": dict(CUSTOM_FIELDS),
            "extensions": [
                {
                    "platform": EXTENSION_PLATFORM,
                    "domain": urls.domain,
                    "privacy_level": PRIVACY_LEVEL,
                    "settings": {"text": TOOL_NAME, "placements": self.placements(urls)},
                }
            ],
        }
