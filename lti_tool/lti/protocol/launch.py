"""The neutral description of one validated LTI launch.

Everything after validation (provisioning, landing pages, deep linking, grade passback, the
roster) reads a :class:`Launch`, never the raw id_token, so an LMS product only has to get the
mapping from its claims right once, in its ``claims`` capability.
"""

from __future__ import annotations

import typing as t
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

from lti_tool.models import RoleName

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
MESSAGE_TYPES: frozenset[str] = frozenset({RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST})


@dataclass(frozen=True)
class Person:
    """Who launched. Only ``sub`` is certain; platforms may withhold everything else."""

    sub: str
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""

    @property
    def display_name(self) -> str:
        joined = " ".join(part for part in (self.given_name, self.family_name) if part)
        return self.name or joined


@dataclass(frozen=True)
class Context:
    """The course (or group, or section) the launch came from."""

    id: str
    title: str = ""
    label: str = ""
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResourceLink:
    id: str
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class AgsEndpoint:
    """Assignment and Grade Services: where scores go and what the tool may do there."""

    scopes: tuple[str, ...] = ()
    lineitems: str = ""
    lineitem: str = ""


@dataclass(frozen=True)
class NrpsEndpoint:
    """Names and Role Provisioning Services: where the course roster can be read."""

    context_memberships_url: str
    service_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeepLinkingSettings:
    """What the platform accepts back from the activity picker, and where to send it."""

    deep_link_return_url: str
    accept_types: tuple[str, ...] = ()
    accept_presentation_document_targets: tuple[str, ...] = ()
    accept_media_types: str = ""
    accept_multiple: bool = False
    auto_create: bool = False
    title: str = ""
    text: str = ""
    data: t.Any = ""
    """Opaque value that must be returned unchanged in the deep linking response (usually a
    string; kept as whatever JSON value the platform sent)."""


@dataclass(frozen=True)
class Presentation:
    document_target: str = ""
    return_url: str = ""
    locale: str = ""


@dataclass(frozen=True)
class Launch:
    """One validated launch, in the tool's own terms.

    ``roles`` are the neutral roles (learner, instructor, admin) the product mapped from the
    platform's role URIs; ``raw_roles`` keeps those URIs for anyone who needs finer detail.
    ``claims`` is the whole validated id_token payload, for product plugins only.
    """

    issuer: str
    client_id: str
    deployment_id: str
    message_type: str
    target_link_uri: str
    person: Person | None
    context: Context | None
    roles: frozenset[RoleName]
    raw_roles: tuple[str, ...] = ()
    resource_link: ResourceLink | None = None
    custom: Mapping[str, str] = field(default_factory=dict)
    ags: AgsEndpoint | None = None
    nrps: NrpsEndpoint | None = None
    deep_linking: DeepLinkingSettings | None = None
    presentation: Presentation = field(default_factory=Presentation)
    product_family: str = "generic"
    """The ``family`` of the LMS product that mapped this launch."""
    product_family_code: str = ""
    """``tool_platform.product_family_code`` as the platform sent it (may be empty)."""
    claims: Mapping[str, t.Any] = field(default_factory=dict, repr=False)

    @property
    def is_deep_linking(self) -> bool:
        return self.message_type == DEEP_LINKING_REQUEST

    @property
    def is_instructor(self) -> bool:
        """Instructors and admins both get the teaching view of a course."""
        return bool(self.roles & {RoleName.INSTRUCTOR, RoleName.ADMIN})

    @property
    def is_learner(self) -> bool:
        return RoleName.LEARNER in self.roles

    @property
    def services(self) -> dict[str, t.Any]:
        """The AGS and NRPS endpoints as plain data, the form stored on ``Course.services``."""
        stored: dict[str, t.Any] = {}
        if self.ags is not None:
            stored["ags"] = {
                "scopes": list(self.ags.scopes),
                "lineitems": self.ags.lineitems,
                "lineitem": self.ags.lineitem,
            }
        if self.nrps is not None:
            stored["nrps"] = {
                "context_memberships_url": self.nrps.context_memberships_url,
                "service_versions": list(self.nrps.service_versions),
            }
        return stored
