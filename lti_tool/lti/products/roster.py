"""Names and Role Provisioning Services (NRPS 2.0): who is in a course, the generic way.

:class:`Roster` is the ``roster`` capability of an LMS product; plugins subclass it where
their platform's membership service departs from the specification.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

import requests

from lti_tool.lti.protocol.claims import neutral_role
from lti_tool.lti.protocol.tokens import PlatformServiceError
from lti_tool.lti.protocol.tokens import service_request
from lti_tool.models import RoleName

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.lti.products.product import Product

MEMBERSHIP_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
#: Safety stop for a platform whose ``next`` links never end.
MAX_PAGES = 200


@dataclass(frozen=True)
class Member:
    """One person in the course as the platform lists them."""

    user_id: str
    """The same value as the ``sub`` of this person's launches."""
    roles: tuple[str, ...]
    status: str = "Active"
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""

    @property
    def display_name(self) -> str:
        joined = " ".join(part for part in (self.given_name, self.family_name) if part)
        return self.name or joined or self.email or self.user_id

    @property
    def neutral_roles(self) -> frozenset[RoleName]:
        return frozenset(role for role in map(neutral_role, self.roles) if role is not None)

    @property
    def is_learner(self) -> bool:
        """Members whose roles the tool does not know count as learners, as launches do."""
        roles = self.neutral_roles
        return RoleName.LEARNER in roles or not roles

    @property
    def is_active(self) -> bool:
        return self.status.lower() == "active"


def _text(value: t.Any) -> str:
    return value.strip() if isinstance(value, str) else ""


class Roster:
    """The generic NRPS behaviour.

    :param product: the LMS product this platform runs.
    :param registration: the tool's registration on that platform.
    """

    #: ``limit`` sent with the first request. ``None`` leaves the page size to the platform,
    #: which the specification allows to page as it likes; a plugin sets a number when its
    #: platform's default pages are small enough to make a large course slow to read.
    page_size: t.ClassVar[int | None] = None

    def __init__(self, product: Product) -> None:
        self.product = product
        self.registration = product.platform()

    def request(self, url: str, params: dict[str, str] | None = None) -> requests.Response:
        response = service_request(
            self.registration,
            [MEMBERSHIP_SCOPE],
            "GET",
            url,
            params=params,
            headers={"Accept": MEMBERSHIP_MEDIA_TYPE},
        )
        if response.status_code != 200:
            raise PlatformServiceError(
                f"reading the course members failed ({response.status_code})",
                status=response.status_code,
                body=response.text[:2000],
            )
        return response

    def pages(self, context_memberships_url: str) -> Iterator[dict[str, t.Any]]:
        """Each membership container, following ``Link: <...>; rel="next"`` headers."""
        params = {"limit": str(self.page_size)} if self.page_size else None
        seen: set[str] = set()
        url: str | None = context_memberships_url
        while url and url not in seen and len(seen) < MAX_PAGES:
            seen.add(url)
            response = self.request(url, params if url == context_memberships_url else None)
            try:
                page = response.json()
            except ValueError:
                raise PlatformServiceError("the membership container is not JSON") from None
            if not isinstance(page, dict):
                raise PlatformServiceError("the membership container is not a JSON object")
            yield page
            link = response.links.get("next", {}).get("url")
            url = urljoin(url, link) if link else None

    def member(self, data: t.Mapping[str, t.Any]) -> Member | None:
        """One entry of ``members``; plugins read vendor fields here."""
        user_id = _text(data.get("user_id"))
        if not user_id:
            return None
        roles = data.get("roles")
        return Member(
            user_id=user_id,
            roles=tuple(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else (),
            status=_text(data.get("status")) or "Active",
            name=_text(data.get("name")),
            given_name=_text(data.get("given_name")),
            family_name=_text(data.get("family_name")),
            email=_text(data.get("email")).lower(),
        )

    def members(self, context_memberships_url: str) -> list[Member]:
        """Every member of the course, all pages, in the platform's order, each once.

        :raises PlatformServiceError: the token or a page was refused.
        """
        found: dict[str, Member] = {}
        for page in self.pages(context_memberships_url):
            entries = page.get("members")
            for entry in entries if isinstance(entries, list) else []:
                member = self.member(entry) if isinstance(entry, dict) else None
                if member is not None:
                    found.setdefault(member.user_id, member)
        return list(found.values())
