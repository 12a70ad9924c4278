"""The platform's AGS and NRPS endpoints, on lti1p3platform's service classes.

lti1p3platform checks the bearer token and its scopes and routes the request; the subclasses
here keep line items, scores and members in memory, check what the specification asks of
the tool's requests (media types, the scores URL, the score's fields) and answer as a
platform would.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import typing as t
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import parse_qsl

from lti1p3platform.exceptions import LineItemNotFoundException
from lti1p3platform.exceptions import LtiServiceException
from lti1p3platform.membership import Context
from lti1p3platform.request import Request
from lti1p3platform.request import TRequest
from lti1p3platform.response import Response
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService
from lti1p3platform.service_connector import NamesRoleProvisioningService
from lti1p3platform.service_connector import TPage

if t.TYPE_CHECKING:  # pragma: no cover
    from tests.lti.advantage import AdvantagePlatform

LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
#: The query string every line item URL of this platform carries (``{"type_id": 7}``).
LINEITEM_QUERY = "type_id=7"


@dataclass
class Reply:
    status: int
    body: t.Any
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def _int(value: str) -> int | str:
    return int(value) if value.isdigit() else value


class QueryRequest(Request):
    """An HTTP request as lti1p3platform's services read it."""

    def __init__(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> None:
        super().__init__((method, path, query, headers, body))

    def build_metadata(self, request: t.Any) -> TRequest:
        method, path, query, headers, body = request
        params: dict[str, t.Any] = {k: _int(v) for k, v in parse_qsl(query)}
        is_json = headers.get("Content-Type", "").split(";")[0].endswith("json")
        return {
            "method": method,
            "form_data": {},
            "get_data": params,
            "headers": headers,
            "content_type": headers.get("Content-Type"),
            "path": path,
            "json": json.loads(body) if body and is_json else None,
        }


def _reply(response: Response, body: t.Any = None) -> Reply:
    result = response.result if body is None else body
    return Reply(response.code, result if result is not None else {"message": response.message})


def _known_token(platform: AdvantagePlatform, request: QueryRequest) -> bool:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return token in platform.issued_tokens


# -- Assignment and Grade Services ---------------------------------------------------------


@dataclass
class Scores:
    """Line items and the scores posted to them."""

    items: dict[str, dict[str, t.Any]] = field(default_factory=dict)
    posted: list[dict[str, t.Any]] = field(default_factory=list)
    """Every score accepted, in order, as posted."""
    results: dict[tuple[str, str], dict[str, t.Any]] = field(default_factory=dict)
    """The gradebook: per (line item, user), the newest score. As AGS asks of a platform, a
    score whose timestamp is not newer than the one held changes nothing."""
    refuse_scores_with: int | None = None
    stall_after_recording: threading.Event | None = None
    """When set, a score is recorded, then its answer waits until this event is set: the
    effect happened, and the poster does not know yet."""
    recorded: threading.Event = field(default_factory=threading.Event)

    def url(self, platform: AdvantagePlatform, number: str) -> str:
        return f"{platform.lineitems_url}/{number}/lineitem?{LINEITEM_QUERY}"

    def add(self, platform: AdvantagePlatform, **data: t.Any) -> str:
        number = str(len(self.items) + 1)
        self.items[number] = {**data, "id": self.url(platform, number)}
        return self.items[number]["id"]

    def answer(self, platform: AdvantagePlatform, request: QueryRequest) -> Reply:
        if not _known_token(platform, request):
            return Reply(401, {"error": "unknown token"})
        service = _Ags(request, platform.conf(), platform.lineitems_url, store=self)
        service.platform = platform
        parts = request.path.strip("/").split("/")
        if parts == ["ags", "lineitems"] and request.method == "GET":
            response = service.handle_resp(service.handle_get_lineitems)
            return _reply(response, (response.result or {}).get("content", []))
        if parts == ["ags", "lineitems"] and request.method == "POST":
            if request.content_type != LINEITEM:
                return Reply(415, {"error": f"expected {LINEITEM}"})
            return _reply(service.handle_resp(service.handle_create_lineitem))
        if len(parts) == 5 and parts[3:] == ["lineitem", "scores"] and request.method == "POST":
            if request.content_type != SCORE:
                return Reply(415, {"error": f"expected {SCORE}, got {request.content_type}"})
            if request.get_data != {"type_id": 7}:
                return Reply(404, {"error": "the line item URL lost its query string"})
            if self.refuse_scores_with:
                return Reply(self.refuse_scores_with, {"error": "refused by the test"})
            return _reply(service.handle_resp(service.handle_update_score, line_item_id=parts[2]))
        return Reply(404, {"error": "not found"})


class _Ags(AssignmentsGradesService):
    platform: AdvantagePlatform

    def __init__(self, *args: t.Any, store: Scores, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = store

    def find_lineitems(
        self,
        page: int = 1,
        limit: int | None = None,
        line_item_id: str | None = None,
        resource_link_id: str | None = None,
        resource_id: str | None = None,
        tag: str | None = None,
    ) -> TPage:
        wanted = {"resourceLinkId": resource_link_id, "resourceId": resource_id, "tag": tag}
        content = [
            item
            for item in self.store.items.values()
            if all(value is None or item.get(key) == value for key, value in wanted.items())
        ]
        return {"content": content, "has_next": False}

    def find_lineitem(self, line_item_id: str) -> t.Any:
        if line_item_id not in self.store.items:
            raise LineItemNotFoundException(line_item_id)
        return self.store.items[line_item_id]

    def create_lineitem(self, creation_data: t.Any) -> t.Any:
        if not isinstance(creation_data.get("scoreMaximum"), int | float):
            raise LtiServiceException("scoreMaximum is required", 400)
        if not creation_data.get("label"):
            raise LtiServiceException("label is required", 400)
        url = self.store.add(self.platform, **creation_data)
        return self.store.items[url.split("/")[-2]]

    def update_lineitem(self, update_data: t.Any) -> t.Any:
        raise LtiServiceException("not offered", 405)

    def delete_lineitem(self, line_item_id: str) -> None:
        raise LtiServiceException("not offered", 405)

    def update_score(self, line_item_id: str, score: t.Any) -> UpdateScoreStatus:
        self.find_lineitem(line_item_id)
        for name in ("userId", "activityProgress", "gradingProgress", "timestamp"):
            if not score.get(name):
                raise LtiServiceException(f"{name} is required", 400)
        stamp = dt.datetime.fromisoformat(score["timestamp"])
        if stamp.utcoffset() is None:
            raise LtiServiceException("timestamp needs an offset", 400)
        given, maximum = score.get("scoreGiven"), score.get("scoreMaximum")
        if given is not None and (maximum is None or not 0 <= given <= maximum):
            raise LtiServiceException("scoreGiven needs a scoreMaximum at least as large", 400)
        self.store.posted.append({"line_item": line_item_id, "score": score})
        held = self.store.results.get((line_item_id, score["userId"]))
        if held is None or dt.datetime.fromisoformat(held["timestamp"]) < stamp:
            self.store.results[(line_item_id, score["userId"])] = score
        self.store.recorded.set()
        if self.store.stall_after_recording is not None:
            self.store.stall_after_recording.wait(timeout=60)
        return UpdateScoreStatus.SUCCESS

    def get_results(self, line_item_id: str, page: int = 1, **kwargs: t.Any) -> TPage:
        return {"content": [], "has_next": False}


# -- Names and Role Provisioning Services --------------------------------------------------


def person(user_id: str, name: str, role: str = LEARNER, **extra: str) -> dict[str, t.Any]:
    return {"user_id": user_id, "name": name, "roles": [role], "status": "Active", **extra}


@dataclass
class Members:
    """The course's members, served a few per page."""

    people: list[dict[str, t.Any]] = field(default_factory=list)
    page_size: int = 2
    pages_served: int = 0

    def answer(self, platform: AdvantagePlatform, request: QueryRequest) -> Reply:
        if not _known_token(platform, request):
            return Reply(401, {"error": "unknown token"})
        # The platform pages at its own size when the tool does not ask for one.
        request.request["get_data"].setdefault("limit", self.page_size)
        service = _Nrps(request, platform.conf(), platform.memberships_url, store=self)
        response = service.handle_resp(service.handle_get_members)
        if response.code != 200:
            return _reply(response)
        self.pages_served += 1
        body = dict(response.result)
        following = body.pop("next", None)
        headers = {"Link": f'<{following}>; rel="next"'} if following else {}
        return Reply(200, body, response.media_type, headers)


class _Nrps(NamesRoleProvisioningService):
    def __init__(self, *args: t.Any, store: Members, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = store

    def get_member_data_page(
        self, page: int = 1, limit: int | None = None, role: str | None = None, since: t.Any = None
    ) -> TPage:
        size = limit or len(self.store.people) or 1
        start = (page - 1) * size
        return {
            "content": [dict(p) for p in self.store.people[start : start + size]],
            "has_next": start + size < len(self.store.people),
        }

    def get_context_by_id(self) -> Context:
        return Context(id="course-42", label="ALG1", title="Algebra I")
