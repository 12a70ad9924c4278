"""Moodle as an LTI 1.3 platform.

Every Moodle site is its own issuer: the site's URL (``wwwroot``, which may carry a path such as
``https://school.example/moodle``). No list of issuers can name them, so Moodle is recognised by
``tool_platform.product_family_code`` ``moodle``, and the endpoints hang off the issuer:
``mod/lti/auth.php``, ``mod/lti/token.php`` and ``mod/lti/certs.php``.

Moodle makes up the client id when the tool is added; the deployment id is the id of the tool
configuration (``1``, ``2``...), so a site usually has one deployment, plus one per course-level
copy of the tool.

Assignment and Grade Services URLs keep the tool configuration in a query string
(``.../mod/lti/services.php/2/lineitems/5/lineitem?type_id=1``): a service path such as
``/scores`` belongs before the ``?``. That is ordinary URL handling, so it is left to the
generic grading code rather than flagged here.
"""

from __future__ import annotations

import typing as t
from collections.abc import Mapping

from lti_tool.api import Product
from lti_tool_moodle.registration import MoodleRegistration


class MoodleProduct(Product):
    """Moodle LMS, any version with LTI 1.3 (3.10 and later for dynamic registration)."""

    family: t.ClassVar[str] = "moodle"
    display_name: t.ClassVar[str] = "Moodle"
    product_family_codes: t.ClassVar[tuple[str, ...]] = ("moodle",)
    #: Deliberately empty: the issuer is each site's own URL.
    issuers: t.ClassVar[tuple[str, ...]] = ()
    endpoint_templates: t.ClassVar[Mapping[str, str]] = {
        "auth_login_url": "{issuer}/mod/lti/auth.php",
        "auth_token_url": "{issuer}/mod/lti/token.php",
        "key_set_url": "{issuer}/mod/lti/certs.php",
    }
    #: Moodle's embedded launch frame allows camera and microphone (with geolocation, midi,
    #: encrypted-media and autoplay) for the origin of the configured Tool URL, and nothing
    #: else: no screen sharing, and no permission at all if the Tool URL is on another origin.
    #: Administrators cannot change the list; "Default launch container: New window" avoids it.
    frame_permissions: t.ClassVar[frozenset[str]] = frozenset({"camera", "microphone"})

    registration_document_class = MoodleRegistration
