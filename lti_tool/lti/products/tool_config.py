"""The tool's own URLs and the registration document an LMS administrator pastes or fetches.

The generic document uses the client metadata of LTI Dynamic Registration (OpenID Connect
client registration plus the ``lti-tool-configuration`` claim), the one format several
platforms read. LMS plugins subclass :class:`RegistrationDocument` for their own format and
name it as their product's ``registration`` capability.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.lti.products.product import Product

TOOL_NAME = "Tutoring"
TOOL_DESCRIPTION = "Book one-to-one sessions with a tutor, meet on video, get credit."
#: Scopes the tool asks for: grade passback (AGS) and the course roster (NRPS).
SCOPES: tuple[str, ...] = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
#: Identity claims the tool would like; every one of them is optional for a launch.
CLAIMS: tuple[str, ...] = ("iss", "sub", "name", "given_name", "family_name", "email")
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"


@dataclass(frozen=True)
class ToolUrls:
    """Where a platform reaches the tool, all derived from the ``base_url`` setting."""

    base_url: str

    @property
    def login(self) -> str:
        return f"{self.base_url}/lti/login"

    @property
    def launch(self) -> str:
        """The redirect URI: the only place a platform may post an id_token to."""
        return f"{self.base_url}/lti/launch"

    @property
    def jwks(self) -> str:
        return f"{self.base_url}/.well-known/jwks.json"

    @property
    def target_link(self) -> str:
        return self.launch

    @property
    def deep_linking(self) -> str:
        return self.launch

    @property
    def domain(self) -> str:
        return self.base_url.split("://", 1)[-1].split("/", 1)[0]

    @property
    def origin(self) -> str:
        scheme, rest = self.base_url.split("://", 1)
        return f"{scheme}://{rest.split('/', 1)[0]}"


class RegistrationDocument:
    """The JSON a platform administrator needs to register the tool.

    :meth:`document` is what ``/lti/config/<family>`` serves (a plugin may return its LMS's
    own format there); :meth:`client_metadata` is always the Dynamic Registration format,
    and :meth:`dynamic_registration` is what the tool posts to a platform's registration
    endpoint.
    """

    def __init__(self, product: Product) -> None:
        self.product = product

    def document(self, urls: ToolUrls) -> dict[str, t.Any]:
        return self.client_metadata(urls)

    def dynamic_registration(
        self, urls: ToolUrls, platform: t.Mapping[str, t.Any]
    ) -> dict[str, t.Any]:
        """The client registration request for the platform whose openid-configuration is
        *platform*: the tool's metadata, asking only for scopes and messages it supports."""
        metadata = self.client_metadata(urls)
        supported_scopes = platform.get("scopes_supported")
        if isinstance(supported_scopes, list) and supported_scopes:
            wanted = metadata["scope"].split()
            metadata["scope"] = " ".join(s for s in wanted if s in supported_scopes)
        lti = platform.get(PLATFORM_CONFIGURATION)
        supported = lti.get("messages_supported") if isinstance(lti, dict) else None
        types = {m.get("type") for m in supported or () if isinstance(m, dict)}
        # A list the tool cannot read (not objects with a type) narrows nothing: offering no
        # message at all would make the registration useless.
        if isinstance(supported, list) and types:
            configuration = metadata[TOOL_CONFIGURATION]
            configuration["messages"] = [
                message for message in configuration["messages"] if message["type"] in types
            ]
        return metadata

    def client_metadata(self, urls: ToolUrls) -> dict[str, t.Any]:
        return {
            "application_type": "web",
            "client_name": TOOL_NAME,
            "description": TOOL_DESCRIPTION,
            "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "initiate_login_uri": urls.login,
            "redirect_uris": [urls.launch],
            "jwks_uri": urls.jwks,
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": " ".join(SCOPES),
            TOOL_CONFIGURATION: {
                "domain": urls.domain,
                "target_link_uri": urls.target_link,
                "claims": list(CLAIMS),
                "messages": [
                    {"type": "LtiResourceLinkRequest", "target_link_uri": urls.target_link},
                    {
                        "type": "LtiDeepLinkingRequest",
                        "target_link_uri": urls.deep_linking,
                        "label": TOOL_NAME,
                    },
                ],
                "custom_parameters": {},
            },
        }
