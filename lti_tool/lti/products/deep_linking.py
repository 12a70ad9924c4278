"""Deep Linking 2.0: the activities an instructor picks, sent back to the platform.

:class:`DeepLinking` is the ``deep_linking`` capability of an LMS product. It turns the
instructor's choices into ``ltiResourceLink`` content items and signs the
``LtiDeepLinkingResponse`` the platform's ``deep_link_return_url`` receives.
"""

from __future__ import annotations

import secrets
import time
import typing as t
from collections.abc import Sequence
from dataclasses import dataclass

from lti_tool.lti.course import activities
from lti_tool.lti.products.tool_config import ToolUrls
from lti_tool.lti.protocol import keys
from lti_tool.lti.protocol.claims import DEPLOYMENT_ID
from lti_tool.lti.protocol.claims import MESSAGE_TYPE
from lti_tool.lti.protocol.claims import VERSION
from lti_tool.lti.protocol.launch import DeepLinkingSettings

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.lti.products.product import Product

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
CONTENT_ITEMS = DL + "content_items"
DATA = DL + "data"
MSG = DL + "msg"
ERRORMSG = DL + "errormsg"
RESPONSE_MESSAGE_TYPE = "LtiDeepLinkingResponse"
RESOURCE_LINK_TYPE = "ltiResourceLink"


class DeepLinkingRefused(ValueError):
    """The platform's settings do not accept what the tool would return."""


@dataclass(frozen=True)
class ActivityChoice:
    """One activity as the instructor configured it in the picker."""

    subject_slug: str
    subject_name: str
    session_length: int | None = None
    """Minutes; ``None`` lets the learner choose among the tutor's lengths."""
    graded: bool = True
    title: str = ""

    @property
    def display_title(self) -> str:
        return self.title or f"{self.subject_name} tutoring"


class DeepLinking:
    """The generic Deep Linking behaviour.

    :param product: the LMS product this platform runs.
    :param registration: the tool's registration on that platform (its client id signs as
        ``iss``).
    """

    #: Put ``lineItem`` on graded content items so the platform creates the gradebook column
    #: with the link and sends it back in the launch's AGS claim. A platform that ignores it
    #: still gets grades: the tool then finds or creates the line item through AGS.
    line_item_in_content_item: t.ClassVar[bool] = True
    #: Seconds the signed response stays valid; the browser posts it at once.
    response_lifetime: t.ClassVar[int] = 300
    #: Gradebook maximum of a graded activity: attendance is 1 (attended) or 0 (did not come).
    score_maximum: t.ClassVar[float] = 1

    def __init__(self, product: Product) -> None:
        self.product = product
        self.registration = product.platform()

    def check(self, settings: DeepLinkingSettings) -> None:
        """Refuse a request whose platform takes no resource links back."""
        if settings.accept_types and RESOURCE_LINK_TYPE not in settings.accept_types:
            raise DeepLinkingRefused(
                "the platform does not accept LTI resource links from this placement "
                f"(it accepts {', '.join(settings.accept_types)})"
            )

    def custom(self, choice: ActivityChoice) -> dict[str, str]:
        """Custom parameters of the link; the platform sends them back in every launch.
        Values are strings, as the specification requires."""
        custom = {
            activities.SUBJECT: choice.subject_slug,
            activities.GRADED: "true" if choice.graded else "false",
        }
        if choice.session_length:
            custom[activities.SESSION_LENGTH] = str(choice.session_length)
        return custom

    def content_item(self, choice: ActivityChoice, urls: ToolUrls) -> dict[str, t.Any]:
        item: dict[str, t.Any] = {
            "type": RESOURCE_LINK_TYPE,
            "title": choice.display_title,
            "text": f"Book a one-to-one {choice.subject_name} session with a tutor.",
            "url": urls.target_link,
            "custom": self.custom(choice),
        }
        if choice.graded and self.line_item_in_content_item:
            item["lineItem"] = {
                "label": choice.display_title,
                "scoreMaximum": self.score_maximum,
                "resourceId": choice.subject_slug,
                "tag": activities.ATTENDANCE_TAG,
            }
        return item

    def content_items(
        self, choices: Sequence[ActivityChoice], settings: DeepLinkingSettings, urls: ToolUrls
    ) -> list[dict[str, t.Any]]:
        self.check(settings)
        if len(choices) > 1 and not settings.accept_multiple:
            raise DeepLinkingRefused("the platform accepts one activity at a time here")
        return [self.content_item(choice, urls) for choice in choices]

    def response_claims(
        self,
        settings: DeepLinkingSettings,
        deployment_id: str,
        items: Sequence[dict[str, t.Any]],
        *,
        message: str = "",
        error: str = "",
    ) -> dict[str, t.Any]:
        """The claims of the ``LtiDeepLinkingResponse``; ``data`` is echoed unchanged."""
        now = int(time.time())
        claims: dict[str, t.Any] = {
            "iss": self.registration.client_id,
            "aud": self.registration.issuer,
            "iat": now,
            "exp": now + self.response_lifetime,
            "nonce": secrets.token_urlsafe(24),
            MESSAGE_TYPE: RESPONSE_MESSAGE_TYPE,
            VERSION: "1.3.0",
            DEPLOYMENT_ID: deployment_id,
            CONTENT_ITEMS: list(items),
        }
        if settings.data not in ("", None):
            claims[DATA] = settings.data
        if message:
            claims[MSG] = message
        if error:
            claims[ERRORMSG] = error
        return claims

    def response_jwt(
        self,
        settings: DeepLinkingSettings,
        deployment_id: str,
        items: Sequence[dict[str, t.Any]],
        **texts: str,
    ) -> str:
        """The signed response, ready for the ``JWT`` form field."""
        return keys.sign(self.response_claims(settings, deployment_id, items, **texts))
