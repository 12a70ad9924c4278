"""Writing a validated launch: the used nonce, the person, the course and the enrollment.

All of it is one transaction. The nonce row goes first: its unique constraint is what refuses
a replayed id_token, even when two copies arrive at the same moment on different processes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.database import write_transaction
from lti_tool.lti.course import activities
from lti_tool.lti.protocol.launch import Launch
from lti_tool.lti.protocol.validation import CLOCK_LEEWAY
from lti_tool.lti.protocol.validation import LaunchError
from lti_tool.models import Course
from lti_tool.models import Deployment
from lti_tool.models import Enrollment
from lti_tool.models import LtiIdentity
from lti_tool.models import RoleName
from lti_tool.models import UsedNonce
from lti_tool.models import User
from lti_tool.models import utcnow

#: Site-wide roles a launch may grant. Administrators of an LMS are not administrators of
#: this tool, which serves many platforms.
GRANTED_SITE_ROLES: frozenset[RoleName] = frozenset({RoleName.LEARNER, RoleName.INSTRUCTOR})


class ReplayedLaunch(LaunchError):
    def __init__(self) -> None:
        super().__init__("this id_token has already been used; start the launch again from the LMS")


@dataclass(frozen=True)
class Provisioned:
    user_id: int | None
    """None for a deep linking request that named no user."""
    course_id: int | None
    enrollment_id: int | None


def _consume_nonce(session: Session, issuer: str, nonce: str, expires_at: dt.datetime) -> None:
    # Expired nonces can no longer be replayed (their tokens are refused as expired), so each
    # launch clears a few. Rows another launch is clearing are skipped rather than waited
    # for, so concurrent launches never queue or deadlock on the clean-up.
    expired = (
        sa.select(UsedNonce.id)
        .where(UsedNonce.expires_at < utcnow())
        .limit(100)
        .with_for_update(skip_locked=True)
    )
    session.execute(sa.delete(UsedNonce).where(UsedNonce.id.in_(expired)))
    session.add(
        UsedNonce(
            issuer=issuer,
            nonce=nonce,
            expires_at=expires_at + dt.timedelta(seconds=CLOCK_LEEWAY),
        )
    )
    try:
        session.flush()
    except IntegrityError:
        raise ReplayedLaunch() from None


def _email_is_free(session: Session, email: str, user: User | None) -> bool:
    owner = session.scalar(sa.select(User.id).where(User.email == email))
    return owner is None or (user is not None and owner == user.id)


def _user(session: Session, launch: Launch) -> User:
    assert launch.person is not None
    person = launch.person
    identity = session.scalar(
        sa.select(LtiIdentity).where(
            LtiIdentity.issuer == launch.issuer, LtiIdentity.sub == person.sub
        )
    )
    user = identity.user if identity is not None else None
    if user is None:
        user = User(name=person.display_name)
        session.add(user)
        session.add(LtiIdentity(user=user, issuer=launch.issuer, sub=person.sub))
    elif person.display_name:
        user.name = person.display_name
    # An e-mail asserted by a platform never takes over an account that already owns it; the
    # person simply goes without one here.
    if person.email and user.email != person.email and _email_is_free(session, person.email, user):
        user.email = person.email
    for role in launch.roles & GRANTED_SITE_ROLES:
        user.add_role(role)
    return user


def _course(session: Session, launch: Launch, deployment: Deployment) -> Course | None:
    if launch.context is None:
        return None
    context = launch.context
    course = session.scalar(
        sa.select(Course).where(
            Course.deployment_id == deployment.id, Course.context_id == context.id
        )
    )
    if course is None:
        course = Course(
            deployment_id=deployment.id,
            context_id=context.id,
            institution_paid=deployment.institution_paid,
        )
        session.add(course)
    course.title = context.title or course.title or ""
    course.label = context.label or course.label or ""
    services = {**(course.services or {}), **launch.services}
    if launch.resource_link is not None:
        previous = activities.activities(services).get(launch.resource_link.id)
        activity = activities.from_launch(launch, previous, utcnow())
        if activity is not None:
            services = activities.with_activity(services, activity)
    if services != (course.services or {}):
        course.services = services
    return course


def _enrollment(session: Session, course: Course, user: User, launch: Launch) -> Enrollment:
    session.flush()
    enrollment = session.scalar(
        sa.select(Enrollment).where(
            Enrollment.course_id == course.id, Enrollment.user_id == user.id
        )
    )
    if enrollment is None:
        enrollment = Enrollment(course_id=course.id, user_id=user.id)
        session.add(enrollment)
    enrollment.roles = sorted(role.value for role in launch.roles)
    return enrollment


def _write(
    launch: Launch, deployment: Deployment, nonce: str, expires_at: dt.datetime
) -> Provisioned:
    with write_transaction() as session:
        _consume_nonce(session, launch.issuer, nonce, expires_at)
        if launch.person is None:
            # Deep linking without a user: nothing about a person to remember.
            return Provisioned(user_id=None, course_id=None, enrollment_id=None)
        user = _user(session, launch)
        course = _course(session, launch, deployment)
        enrollment = _enrollment(session, course, user, launch) if course else None
        session.flush()
        return Provisioned(
            user_id=user.id,
            course_id=course.id if course else None,
            enrollment_id=enrollment.id if enrollment else None,
        )


def provision(
    launch: Launch, *, deployment: Deployment, nonce: str, expires_at: dt.datetime
) -> Provisioned:
    """Record the launch; raise :class:`ReplayedLaunch` when its nonce was used before."""
    try:
        return _write(launch, deployment, nonce, expires_at)
    except IntegrityError:
        # Another launch of the same new person or course committed first; its rows now
        # exist, so a second attempt finds them instead of inserting.
        return _write(launch, deployment, nonce, expires_at)
