"""LMS products: what differs between Canvas, Blackboard, Moodle and a generic platform.

A product is data: its family, how to recognise its platform, its endpoint patterns and flags
whose docstrings give the reason. Behaviour lives in capability classes named by the product;
the base classes here are the generic LTI 1.3 behaviour, so a platform no plugin knows still
works. Call sites ask the product (``product.grading...``), never compare families.
"""

from __future__ import annotations

import string
import typing as t
from collections.abc import Iterable
from collections.abc import Mapping

from lti_tool.lti.products.deep_linking import DeepLinking
from lti_tool.lti.products.grading import Grading
from lti_tool.lti.products.roster import Roster
from lti_tool.lti.products.tool_config import RegistrationDocument
from lti_tool.lti.protocol.claims import ClaimMapper

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.models import Registration

#: The endpoint names a product's ``endpoint_templates`` may fill, as stored on a registration.
ENDPOINT_NAMES: tuple[str, ...] = ("auth_login_url", "auth_token_url", "key_set_url")


class Product:
    """The generic LTI 1.3 Advantage platform."""

    #: Short name used in configuration and on the command line (``--lms``).
    family: t.ClassVar[str] = "generic"
    #: Name shown to people.
    display_name: t.ClassVar[str] = "Generic LTI 1.3 platform"
    #: ``tool_platform.product_family_code`` values this product answers to.
    product_family_codes: t.ClassVar[tuple[str, ...]] = ()
    #: Issuers (exact) this product answers to.
    issuers: t.ClassVar[tuple[str, ...]] = ()
    #: Endpoint templates filled from the issuer (``{issuer}``) when a platform is added, keyed
    #: by the names in :data:`ENDPOINT_NAMES` (and ``auth_audience`` when the platform wants
    #: token requests addressed to something other than its token URL).
    endpoint_templates: t.ClassVar[Mapping[str, str]] = {}
    #: Origin whose frame answers the LTI postMessage storage messages; ``None`` means the
    #: origin of the platform's OIDC authorization URL, as the specification says.
    storage_origin: t.ClassVar[str | None] = None
    #: Browser permissions the LMS's launch frame grants the tool (``camera``, ``microphone``,
    #: ``display-capture``); ``None`` when not known. A frame known to lack the camera or the
    #: microphone gets the video room in a window of its own.
    frame_permissions: t.ClassVar[frozenset[str] | None] = None

    # Capabilities: the base classes are the generic LTI 1.3 behaviour; a plugin names its
    # subclasses here. A product bound to a platform (``registry.bound(registration)``) makes
    # each one for itself on use: ``product.grading.post_score(...)``.
    #: id_token claims -> :class:`lti_tool.lti.protocol.launch.Launch`.
    claims_class: t.ClassVar[type[ClaimMapper]] = ClaimMapper
    #: The registration document served at ``/lti/config/<family>``, and the client
    #: metadata posted during dynamic registration.
    registration_document_class: t.ClassVar[type[RegistrationDocument]] = RegistrationDocument
    #: Assignment and Grade Services: line items and scores.
    grading_class: t.ClassVar[type[Grading]] = Grading
    #: Names and Role Provisioning Services: the course's members.
    roster_class: t.ClassVar[type[Roster]] = Roster
    #: Deep Linking: content items and the signed response.
    deep_linking_class: t.ClassVar[type[DeepLinking]] = DeepLinking

    def __init__(self, registration: Registration | None = None) -> None:
        #: The platform this product is bound to; ``None`` before one is registered (serving
        #: a registration document, reading a dynamic registration's answer).
        self.registration = registration

    def platform(self) -> Registration:
        """The registration this product is bound to, for the services that call it.

        :raises LookupError: the product was made without one.
        """
        if self.registration is None:
            raise LookupError(f"the {self.display_name} product is not bound to a platform")
        return self.registration

    @property
    def claims(self) -> ClaimMapper:
        return self.claims_class(self)

    @property
    def registration_document(self) -> RegistrationDocument:
        return self.registration_document_class(self)

    @property
    def grading(self) -> Grading:
        """Grades with every AGS scope asked for; :meth:`grading_with` for the launch's own."""
        return self.grading_class(self)

    def grading_with(self, scopes: Iterable[str]) -> Grading:
        """Grades with the AGS scopes the platform offered in its launch."""
        return self.grading_class(self, scopes)

    @property
    def roster(self) -> Roster:
        return self.roster_class(self)

    @property
    def deep_linking(self) -> DeepLinking:
        return self.deep_linking_class(self)

    @classmethod
    def recognises(cls, issuer: str, product_family_code: str | None = None) -> bool:
        """Whether this product is the platform at *issuer*."""
        codes = {code.lower() for code in cls.product_family_codes}
        if product_family_code and product_family_code.lower() in codes:
            return True
        return issuer.rstrip("/") in {known.rstrip("/") for known in cls.issuers}

    @classmethod
    def endpoints_for(cls, issuer: str, client_id: str | None = None) -> dict[str, str]:
        """The platform endpoints this product can derive from the issuer and client id.

        A template may use ``{issuer}`` and ``{client_id}``; one that needs a value not given
        is left out, for the administrator to supply.
        """
        known = {"issuer": issuer.rstrip("/"), "client_id": client_id or ""}
        endpoints = {}
        for name, template in cls.endpoint_templates.items():
            fields = {field for _, field, _, _ in string.Formatter().parse(template) if field}
            if all(known.get(field) for field in fields):
                endpoints[name] = template.format(**known)
        return endpoints
