"""Canvas as an LTI 1.3 platform: how it is recognised and where its endpoints are.

Instructure-hosted Canvas signs every launch with one issuer per environment, whatever the
school's own domain (``https://canvas.instructure.com`` for production,
``https://canvas.beta.instructure.com`` and ``https://canvas.test.instructure.com`` for the beta
and test copies Instructure refreshes from production), and serves authorization, token and key
set from ``sso.canvaslms.com`` (``sso.beta.canvaslms.com``, ``sso.test.canvaslms.com``). A
self-hosted Canvas signs with its own host name and serves the same paths itself, so it is
recognised by the product family code ``canvas`` in ``tool_platform`` instead.

The client id is the id of the LTI developer key; deployment ids look like
``189:9f4b...`` (the installation's id, a colon, then 40 hex digits).
"""

from __future__ import annotations

import typing as t
from collections.abc import Mapping

from lti_tool.api import Product
from lti_tool_canvas.claims import CanvasClaims
from lti_tool_canvas.registration import CanvasRegistration

PRODUCTION = "production"
BETA = "beta"
TEST = "test"

#: Instructure-hosted issuers and the environment each signs for.
CLOUD_ISSUERS: Mapping[str, str] = {
    "https://canvas.instructure.com": PRODUCTION,
    "https://canvas.beta.instructure.com": BETA,
    "https://canvas.test.instructure.com": TEST,
}
#: Where each hosted environment answers OIDC, OAuth 2 and its key set.
SSO_ORIGINS: Mapping[str, str] = {
    PRODUCTION: "https://sso.canvaslms.com",
    BETA: "https://sso.beta.canvaslms.com",
    TEST: "https://sso.test.canvaslms.com",
}
#: The same three paths on the SSO origin (hosted) or on the instance itself (self-hosted).
ENDPOINT_PATHS: Mapping[str, str] = {
    "auth_login_url": "/api/lti/authorize_redirect",
    "auth_token_url": "/login/oauth2/token",
    "key_set_url": "/api/lti/security/jwks",
}


class CanvasProduct(Product):
    """Canvas LMS, Instructure-hosted or self-hosted."""

    family: t.ClassVar[str] = "canvas"
    display_name: t.ClassVar[str] = "Canvas LMS"
    product_family_codes: t.ClassVar[tuple[str, ...]] = ("canvas",)
    issuers: t.ClassVar[tuple[str, ...]] = tuple(CLOUD_ISSUERS)
    #: Self-hosted Canvas serves the endpoints on its own host (its issuer); the hosted
    #: issuers use :attr:`environment_endpoints` instead.
    endpoint_templates: t.ClassVar[Mapping[str, str]] = {
        name: "{issuer}" + path for name, path in ENDPOINT_PATHS.items()
    }
    #: Endpoints of each hosted environment. Beta and test have their own key sets, so a
    #: launch from beta never verifies against production keys.
    environment_endpoints: t.ClassVar[Mapping[str, Mapping[str, str]]] = {
        environment: {name: origin + path for name, path in ENDPOINT_PATHS.items()}
        for environment, origin in SSO_ORIGINS.items()
    }
    #: Hosted issuer -> environment.
    issuer_environments: t.ClassVar[Mapping[str, str]] = CLOUD_ISSUERS
    #: The login request names the environment it comes from (``production``, ``beta`` or
    #: ``test``), so a tool can pick that environment's authorization endpoint before any
    #: id_token exists. Canvas documents the values above but has been seen to send ``prod``;
    #: :attr:`environment_aliases` maps it.
    login_environment_parameter: t.ClassVar[str | None] = "canvas_environment"
    environment_aliases: t.ClassVar[Mapping[str, str]] = {"prod": PRODUCTION}
    #: Permissions Canvas grants its tool iframes itself (``allow="... camera *; microphone
    #: *; display-capture *"``); nothing for an administrator to set, so the video room can
    #: stay embedded.
    frame_permissions: t.ClassVar[frozenset[str]] = frozenset(
        {"camera", "microphone", "display-capture"}
    )

    claims_class = CanvasClaims
    registration_document_class = CanvasRegistration

    @classmethod
    def environment_of_issuer(cls, issuer: str) -> str | None:
        """The hosted environment *issuer* signs for; None for a self-hosted Canvas."""
        return cls.issuer_environments.get(issuer.rstrip("/"))

    @classmethod
    def endpoints_for(cls, issuer: str, client_id: str | None = None) -> dict[str, str]:
        environment = cls.environment_of_issuer(issuer)
        if environment is None:
            return super().endpoints_for(issuer, client_id)
        return cls.endpoints_for_environment(environment)

    @classmethod
    def endpoints_for_environment(cls, environment: str) -> dict[str, str]:
        return dict(cls.environment_endpoints[environment])

    @classmethod
    def login_environment(cls, issuer: str, params: Mapping[str, str]) -> str | None:
        """The hosted environment a login request for *issuer* names.

        None when the parameter is absent or unknown, and always for a self-hosted Canvas,
        which reports ``production`` but serves its endpoints itself.
        """
        if cls.login_environment_parameter is None or cls.environment_of_issuer(issuer) is None:
            return None
        value = (params.get(cls.login_environment_parameter) or "").strip().lower()
        value = cls.environment_aliases.get(value, value)
        return value if value in cls.environment_endpoints else None
