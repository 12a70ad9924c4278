"""Assignment and Grade Services (AGS 2.0): line items and scores, the generic way.

:class:`Grading` is the ``grading`` capability of an LMS product. Its methods speak the
specification as written; an LMS plugin subclasses it and turns a flag or overrides one
method where its platform departs from the text.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import requests

from lti_tool.lti.protocol.tokens import PlatformServiceError
from lti_tool.lti.protocol.tokens import service_request

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.lti.products.product import Product

AGS_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
LINEITEM_SCOPE = AGS_SCOPE + "lineitem"
LINEITEM_READONLY_SCOPE = AGS_SCOPE + "lineitem.readonly"
RESULT_READONLY_SCOPE = AGS_SCOPE + "result.readonly"
SCORE_SCOPE = AGS_SCOPE + "score"
ALL_SCOPES: tuple[str, ...] = (
    LINEITEM_SCOPE,
    LINEITEM_READONLY_SCOPE,
    RESULT_READONLY_SCOPE,
    SCORE_SCOPE,
)
LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
#: Safety stop when following ``rel="next"`` links of a platform that pages forever.
MAX_PAGES = 50


@dataclass(frozen=True)
class LineItem:
    """One gradebook column. ``id`` is its URL."""

    id: str
    label: str
    score_maximum: float
    resource_link_id: str = ""
    resource_id: str = ""
    tag: str = ""

    @classmethod
    def from_json(cls, data: t.Mapping[str, t.Any]) -> LineItem:
        maximum = data.get("scoreMaximum")
        return cls(
            id=str(data.get("id") or ""),
            label=str(data.get("label") or ""),
            score_maximum=float(maximum) if isinstance(maximum, int | float) else 0.0,
            resource_link_id=str(data.get("resourceLinkId") or ""),
            resource_id=str(data.get("resourceId") or ""),
            tag=str(data.get("tag") or ""),
        )


@dataclass(frozen=True)
class Score:
    """What the tool reports about one learner on one line item."""

    user_id: str
    """The learner's ``sub`` at the platform."""
    score_given: float | None
    score_maximum: float
    timestamp: dt.datetime
    activity_progress: str = "Completed"
    grading_progress: str = "FullyGraded"
    comment: str = ""


class Grading:
    """The generic AGS behaviour.

    :param product: the LMS product this platform runs.
    :param registration: the tool's registration on that platform (token endpoint, client id).
    :param scopes: the AGS scopes the launch's endpoint claim offered; every token asks for
        these (or all AGS scopes when empty), so one cached token serves every call.
    """

    #: Whether the tool may create a line item when the activity has none. The specification
    #: lets a platform withhold the ``lineitem`` scope (its gradebook is then managed by the
    #: instructor only); a plugin for such a platform turns this off rather than fail later.
    create_line_items: t.ClassVar[bool] = True
    #: Send ``resource_link_id``/``tag`` as query filters when searching the container. The
    #: specification defines both; the answer is filtered here as well, so a platform that
    #: ignores them is still read correctly.
    filter_in_query: t.ClassVar[bool] = True
    #: ``isoformat`` precision of score timestamps. The specification asks for sub-second
    #: ISO 8601; milliseconds are the finest precision JavaScript dates (and so many
    #: platforms' parsers) keep.
    timestamp_precision: t.ClassVar[str] = "milliseconds"

    def __init__(self, product: Product, scopes: Iterable[str] = ()) -> None:
        self.product = product
        self.registration = product.platform()
        offered = tuple(scope for scope in scopes if scope in ALL_SCOPES)
        self.scopes: tuple[str, ...] = offered or ALL_SCOPES

    # -- URLs ------------------------------------------------------------------------------

    def scores_url(self, line_item_url: str) -> str:
        """The scores endpoint of a line item: ``/scores`` is appended to the path, before
        any query string (a line item URL may carry one)."""
        parts = urlsplit(line_item_url)
        path = parts.path.rstrip("/") + "/scores"
        return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))

    # -- HTTP ------------------------------------------------------------------------------

    def request(self, method: str, url: str, **kwargs: t.Any) -> requests.Response:
        """One service call with the registration's bearer token."""
        return service_request(self.registration, self.scopes, method, url, **kwargs)

    @staticmethod
    def _json(response: requests.Response, what: str) -> t.Any:
        try:
            return response.json()
        except ValueError:
            raise PlatformServiceError(
                f"{what}: the platform's answer is not JSON",
                status=response.status_code,
                body=response.text[:2000],
            ) from None

    @staticmethod
    def _check(response: requests.Response, what: str) -> requests.Response:
        if not 200 <= response.status_code < 300:
            raise PlatformServiceError(
                f"{what} failed ({response.status_code})",
                status=response.status_code,
                body=response.text[:2000],
            )
        return response

    # -- line items ------------------------------------------------------------------------

    def line_items(
        self, container_url: str, *, resource_link_id: str = "", tag: str = ""
    ) -> list[LineItem]:
        """The container's line items, every page, narrowed to the link and tag if given."""
        params = {}
        if self.filter_in_query and resource_link_id:
            params["resource_link_id"] = resource_link_id
        if self.filter_in_query and tag:
            params["tag"] = tag
        found: list[LineItem] = []
        for page in self._pages(container_url, params):
            if not isinstance(page, list):
                raise PlatformServiceError("the line item container is not a JSON array")
            found.extend(LineItem.from_json(item) for item in page if isinstance(item, dict))
        return [
            item
            for item in found
            if (not resource_link_id or item.resource_link_id == resource_link_id)
            and (not tag or item.tag == tag)
        ]

    def _pages(self, url: str, params: dict[str, str]) -> Iterator[t.Any]:
        seen: set[str] = set()
        next_url: str | None = url
        while next_url and next_url not in seen and len(seen) < MAX_PAGES:
            seen.add(next_url)
            response = self._check(
                self.request(
                    "GET",
                    next_url,
                    params=params if next_url == url else None,
                    headers={"Accept": LINEITEM_CONTAINER_MEDIA_TYPE},
                ),
                "reading the line items",
            )
            yield self._json(response, "reading the line items")
            link = response.links.get("next", {}).get("url")
            next_url = urljoin(next_url, link) if link else None

    def line_item_body(
        self, *, label: str, score_maximum: float, resource_link_id: str, tag: str
    ) -> dict[str, t.Any]:
        """The JSON of a new line item; plugins add their platform's extensions here."""
        body: dict[str, t.Any] = {"label": label, "scoreMaximum": score_maximum, "tag": tag}
        if resource_link_id:
            body["resourceLinkId"] = resource_link_id
        return body

    def create_line_item(
        self,
        container_url: str,
        *,
        label: str,
        score_maximum: float,
        resource_link_id: str = "",
        tag: str = "",
    ) -> LineItem:
        body = self.line_item_body(
            label=label, score_maximum=score_maximum, resource_link_id=resource_link_id, tag=tag
        )
        response = self._check(
            self.request(
                "POST",
                container_url,
                json=body,
                headers={"Content-Type": LINEITEM_MEDIA_TYPE, "Accept": LINEITEM_MEDIA_TYPE},
            ),
            "creating a line item",
        )
        created = self._json(response, "creating a line item")
        if not isinstance(created, dict):
            raise PlatformServiceError("the created line item is not a JSON object")
        item = LineItem.from_json(created)
        if not item.id:
            raise PlatformServiceError("the platform created a line item without an id")
        return item

    def find_or_create_line_item(
        self,
        container_url: str,
        *,
        label: str,
        score_maximum: float,
        resource_link_id: str = "",
        tag: str = "",
    ) -> LineItem:
        """The line item of this link and tag, created when the container has none."""
        existing = self.line_items(container_url, resource_link_id=resource_link_id, tag=tag)
        if existing:
            return existing[0]
        if not self.create_line_items:
            raise PlatformServiceError(
                f"{self.product.display_name} has no line item for this activity and the tool "
                "does not create line items there"
            )
        return self.create_line_item(
            container_url,
            label=label,
            score_maximum=score_maximum,
            resource_link_id=resource_link_id,
            tag=tag,
        )

    # -- scores ----------------------------------------------------------------------------

    def timestamp(self, moment: dt.datetime) -> str:
        return moment.astimezone(dt.UTC).isoformat(timespec=self.timestamp_precision)

    def score_body(self, score: Score) -> dict[str, t.Any]:
        """The score JSON; plugins add their platform's extensions here."""
        body: dict[str, t.Any] = {
            "userId": score.user_id,
            "scoreMaximum": score.score_maximum,
            "activityProgress": score.activity_progress,
            "gradingProgress": score.grading_progress,
            "timestamp": self.timestamp(score.timestamp),
        }
        if score.score_given is not None:
            body["scoreGiven"] = score.score_given
        if score.comment:
            body["comment"] = score.comment
        return body

    def post_score(self, line_item_url: str, score: Score) -> requests.Response:
        """POST *score* to the line item's scores endpoint.

        :raises PlatformServiceError: the token or the score was refused.
        """
        return self._check(
            self.request(
                "POST",
                self.scores_url(line_item_url),
                json=self.score_body(score),
                headers={"Content-Type": SCORE_MEDIA_TYPE},
            ),
            "posting the score",
        )
