"""Generic mapping from validated id_token claims to a neutral launch
(:class:`~lti_tool.lti.protocol.launch.Launch`).

LMS plugins subclass :class:`ClaimMapper` when their platform puts something somewhere else
(a vendor claim for the e-mail, extra role vocabularies) and name the subclass as their
product's ``claims`` capability.
"""

from __future__ import annotations

import typing as t
from collections.abc import Mapping

from lti_tool.lti.protocol.launch import AgsEndpoint
from lti_tool.lti.protocol.launch import Context
from lti_tool.lti.protocol.launch import DeepLinkingSettings
from lti_tool.lti.protocol.launch import Launch
from lti_tool.lti.protocol.launch import NrpsEndpoint
from lti_tool.lti.protocol.launch import Person
from lti_tool.lti.protocol.launch import Presentation
from lti_tool.lti.protocol.launch import ResourceLink
from lti_tool.models import RoleName

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.lti.products.product import Product

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
RESOURCE_LINK = LTI + "resource_link"
CUSTOM = LTI + "custom"
TOOL_PLATFORM = LTI + "tool_platform"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

#: Context (membership) role names and the neutral role each one gets. A sub-role such as
#: ``membership/Instructor#TeachingAssistant`` takes the role of its parent.
MEMBERSHIP_ROLES: Mapping[str, RoleName] = {
    "learner": RoleName.LEARNER,
    "mentor": RoleName.LEARNER,
    "member": RoleName.LEARNER,
    "instructor": RoleName.INSTRUCTOR,
    "teachingassistant": RoleName.INSTRUCTOR,
    "contentdeveloper": RoleName.INSTRUCTOR,
    # A course administrator runs the course, not the site.
    "administrator": RoleName.INSTRUCTOR,
    "manager": RoleName.INSTRUCTOR,
}
#: Institution and system roles that make someone an administrator. Other institution roles
#: (Faculty, Student, Staff...) say nothing about this course and are ignored.
ADMIN_ROLES: frozenset[str] = frozenset({"administrator", "sysadmin"})
_ADMIN_VOCABULARIES = (
    "/institution/person",
    "/system/person",
    "urn:lti:instrole:",
    "urn:lti:sysrole:",
)


def _text(value: t.Any) -> str:
    return value if isinstance(value, str) else ""


def _texts(value: t.Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def _mapping(value: t.Any) -> Mapping[str, t.Any]:
    return value if isinstance(value, Mapping) else {}


def neutral_role(role: str) -> RoleName | None:
    """The neutral role of one platform role (full URI, LIS v1 URN or short name), or None."""
    lowered = role.strip().lower()
    if not lowered:
        return None
    if "#" in lowered:
        vocabulary, name = lowered.rsplit("#", 1)
    elif ":" in lowered or "/" in lowered:
        vocabulary, _, name = lowered.rpartition("/")
    else:
        vocabulary, name = "", lowered
    if vocabulary.endswith(_ADMIN_VOCABULARIES) or vocabulary.startswith(_ADMIN_VOCABULARIES):
        return RoleName.ADMIN if name in ADMIN_ROLES else None
    if (
        vocabulary
        and "/membership" not in vocabulary
        and not vocabulary.startswith("urn:lti:role:")
    ):
        # Institution roles and other vocabularies say nothing about this course.
        return None
    # membership/Instructor#TeachingAssistant: the parent (Instructor) decides.
    parent = (vocabulary + "/").rsplit("/membership/", 1)[-1].split("/")[0]
    if "/membership/" in vocabulary + "/" and parent:
        name = parent
    return MEMBERSHIP_ROLES.get(name)


class ClaimMapper:
    """The generic LTI 1.3 reading of an id_token; one method per part of the launch."""

    def __init__(self, product: Product) -> None:
        self.product = product

    def launch(self, claims: Mapping[str, t.Any], *, client_id: str) -> Launch:
        """Build the launch from claims that validation has already checked."""
        platform = _mapping(claims.get(TOOL_PLATFORM))
        raw_roles = _texts(claims.get(ROLES))
        return Launch(
            issuer=_text(claims.get("iss")),
            client_id=client_id,
            deployment_id=_text(claims.get(DEPLOYMENT_ID)),
            message_type=_text(claims.get(MESSAGE_TYPE)),
            target_link_uri=_text(claims.get(TARGET_LINK_URI)),
            person=self.person(claims),
            context=self.context(claims),
            roles=self.roles(raw_roles),
            raw_roles=raw_roles,
            resource_link=self.resource_link(claims),
            custom=self.custom(claims),
            ags=self.ags(claims),
            nrps=self.nrps(claims),
            deep_linking=self.deep_linking(claims),
            presentation=self.presentation(claims),
            product_family=self.product.family,
            product_family_code=_text(platform.get("product_family_code")),
            claims=dict(claims),
        )

    def person(self, claims: Mapping[str, t.Any]) -> Person | None:
        sub = _text(claims.get("sub"))
        if not sub:
            return None
        return Person(
            sub=sub,
            name=_text(claims.get("name")).strip(),
            given_name=_text(claims.get("given_name")).strip(),
            family_name=_text(claims.get("family_name")).strip(),
            email=_text(claims.get("email")).strip().lower(),
        )

    def context(self, claims: Mapping[str, t.Any]) -> Context | None:
        context = _mapping(claims.get(CONTEXT))
        context_id = _text(context.get("id"))
        if not context_id:
            return None
        return Context(
            id=context_id,
            title=_text(context.get("title")),
            label=_text(context.get("label")),
            types=_texts(context.get("type")),
        )

    def roles(self, raw_roles: tuple[str, ...]) -> frozenset[RoleName]:
        """Neutral roles; someone whose roles the tool does not know is a learner."""
        found = {role for role in map(neutral_role, raw_roles) if role is not None}
        return frozenset(found or {RoleName.LEARNER})

    def resource_link(self, claims: Mapping[str, t.Any]) -> ResourceLink | None:
        link = _mapping(claims.get(RESOURCE_LINK))
        link_id = _text(link.get("id"))
        if not link_id:
            return None
        return ResourceLink(
            id=link_id, title=_text(link.get("title")), description=_text(link.get("description"))
        )

    def custom(self, claims: Mapping[str, t.Any]) -> dict[str, str]:
        # Platforms send custom values as strings, but some send numbers or booleans; the
        # tool treats them all as text.
        custom = _mapping(claims.get(CUSTOM))
        return {
            str(key): value if isinstance(value, str) else str(value)
            for key, value in custom.items()
            if value is not None
        }

    def ags(self, claims: Mapping[str, t.Any]) -> AgsEndpoint | None:
        endpoint = _mapping(claims.get(AGS))
        if not endpoint:
            return None
        return AgsEndpoint(
            scopes=_texts(endpoint.get("scope")),
            lineitems=_text(endpoint.get("lineitems")),
            lineitem=_text(endpoint.get("lineitem")),
        )

    def nrps(self, claims: Mapping[str, t.Any]) -> NrpsEndpoint | None:
        service = _mapping(claims.get(NRPS))
        url = _text(service.get("context_memberships_url"))
        if not url:
            return None
        return NrpsEndpoint(
            context_memberships_url=url, service_versions=_texts(service.get("service_versions"))
        )

    def deep_linking(self, claims: Mapping[str, t.Any]) -> DeepLinkingSettings | None:
        settings = _mapping(claims.get(DEEP_LINKING_SETTINGS))
        return_url = _text(settings.get("deep_link_return_url"))
        if not return_url:
            return None
        return DeepLinkingSettings(
            deep_link_return_url=return_url,
            accept_types=_texts(settings.get("accept_types")),
            accept_presentation_document_targets=_texts(
                settings.get("accept_presentation_document_targets")
            ),
            accept_media_types=_text(settings.get("accept_media_types")),
            accept_multiple=settings.get("accept_multiple") is True,
            auto_create=settings.get("auto_create") is True,
            title=_text(settings.get("title")),
            text=_text(settings.get("text")),
            data=settings.get("data") if settings.get("data") is not None else "",
        )

    def presentation(self, claims: Mapping[str, t.Any]) -> Presentation:
        presentation = _mapping(claims.get(LAUNCH_PRESENTATION))
        return Presentation(
            document_target=_text(presentation.get("document_target")),
            return_url=_text(presentation.get("return_url")),
            locale=_text(presentation.get("locale")),
        )
