"""The course roster from the platform (NRPS) beside what each member booked and attended."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field

import sqlalchemy as sa

from lti_tool.lti.products.registry import products
from lti_tool.lti.products.roster import Member
from lti_tool.lti.protocol.tokens import PlatformServiceError
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Course
from lti_tool.models import LtiIdentity
from lti_tool.models import User
from lti_tool.models import db

log = logging.getLogger("lti_tool.lti.members")
#: Bookings that count as "booked": the ones that took, or still take, a tutor's time.
BOOKED_STATES = (
    BookingState.HELD,
    BookingState.CONFIRMED,
    BookingState.COMPLETED,
    BookingState.NO_SHOW,
)


@dataclass(frozen=True)
class MemberRow:
    member: Member
    user: User | None
    """The tool's account of this member, once they have launched the tool."""
    booked: int = 0
    attended: int = 0


@dataclass(frozen=True)
class RosterView:
    rows: list[MemberRow] = field(default_factory=list)
    error: str = ""
    """Why the platform's roster could not be read; the rest of the page still shows."""


def _memberships_url(course: Course) -> str:
    nrps = (course.services or {}).get("nrps")
    url = nrps.get("context_memberships_url") if isinstance(nrps, dict) else None
    return url if isinstance(url, str) else ""


def roster_view(course: Course) -> RosterView | None:
    """The platform's members with their bookings from this course; None when the platform
    offers no roster for the course."""
    url = _memberships_url(course)
    if not url or course.deployment is None:
        return None
    registration = course.deployment.registration
    product = products().bound(registration)
    try:
        members = product.roster.members(url)
    except PlatformServiceError as exc:
        log.warning("roster of course %s could not be read: %s", course.id, exc)
        return RosterView(error=f"The course roster could not be read from the LMS ({exc}).")
    users: dict[str, User] = {
        sub: user
        for sub, user in db.session.execute(
            sa.select(LtiIdentity.sub, User)
            .join(User, LtiIdentity.user_id == User.id)
            .where(
                LtiIdentity.issuer == registration.issuer,
                LtiIdentity.sub.in_([member.user_id for member in members]),
            )
        )
    }
    counts: dict[int, tuple[int, int]] = {
        learner_id: (int(booked), int(attended or 0))
        for learner_id, booked, attended in db.session.execute(
            sa.select(
                Booking.learner_id,
                sa.func.count(),
                sa.func.sum(sa.case((Booking.state == BookingState.COMPLETED, 1), else_=0)),
            )
            .where(Booking.course_id == course.id, Booking.state.in_(BOOKED_STATES))
            .group_by(Booking.learner_id)
        )
    }
    rows = []
    for member in members:
        user = users.get(member.user_id)
        booked, attended = counts.get(user.id, (0, 0)) if user is not None else (0, 0)
        rows.append(MemberRow(member=member, user=user, booked=booked, attended=attended))
    return RosterView(rows=rows)
