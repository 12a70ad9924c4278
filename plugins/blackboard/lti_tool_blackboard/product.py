"""Blackboard Learn as an LTI 1.3 platform.

The tool is registered once, by its vendor, in Anthology's developer portal; the portal gives
one application id, which is the client id for every school. All Learn sites sign with the same
issuer, ``https://blackboard.com``, and use the same portal endpoints. What tells schools apart
is the deployment id (a UUID) a Learn administrator gets when adding the tool, so each school is
a deployment of one registration, added with ``lti-tool deployment add``, and a launch from a
deployment nobody added is refused rather than guessed.

Launches carry ``tool_platform.product_family_code`` ``BlackboardLearn``.
"""

from __future__ import annotations

import typing as t
from collections.abc import Mapping

from lti_tool.api import Product
from lti_tool_blackboard.endpoints import ISSUER
from lti_tool_blackboard.endpoints import TEMPLATES
from lti_tool_blackboard.registration import BlackboardRegistration


class BlackboardProduct(Product):
    """Blackboard Learn (Original and Ultra): every site signs as Anthology's one issuer."""

    family: t.ClassVar[str] = "blackboard"
    display_name: t.ClassVar[str] = "Blackboard Learn"
    #: Learn sends ``BlackboardLearn``; the core compares family codes in lower case.
    product_family_codes: t.ClassVar[tuple[str, ...]] = ("BlackboardLearn",)
    issuers: t.ClassVar[tuple[str, ...]] = (ISSUER,)
    #: The developer portal's endpoints; the key set URL names the application (client) id.
    endpoint_templates: t.ClassVar[Mapping[str, str]] = TEMPLATES
    #: Learn's placements have no setting for the launch frame's permissions (they do have
    #: "Launch in New Window"), so the video room cannot count on camera, microphone or screen
    #: sharing inside the frame.
    frame_permissions: t.ClassVar[frozenset[str]] = frozenset()

    registration_document_class = BlackboardRegistration
