"""LMS platforms the tool is registered with, their courses and who is enrolled in them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from lti_tool.models.base import Base
from lti_tool.models.base import TimestampMixin
from lti_tool.models.base import UTCDateTime
from lti_tool.models.base import utcnow
from lti_tool.models.users import User
from lti_tool.sealing import SealedText


class Registration(TimestampMixin, Base):
    """One client id the tool holds on one platform (an issuer may hold several)."""

    __tablename__ = "lti_registrations"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lms: Mapped[str] = mapped_column(String(40), default="generic")
    """The LMS product family that recognised this platform ("canvas", "moodle", ...)."""
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(500))
    auth_token_url: Mapped[str] = mapped_column(String(500))
    key_set_url: Mapped[str] = mapped_column(String(500))
    auth_audience: Mapped[str | None] = mapped_column(String(500))
    """Audience for token requests when the platform wants one other than the token URL."""
    settings: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    platform_private_key_pem: Mapped[str | None] = mapped_column(SealedText, deferred=True)
    """The platform's own signing key: held only for the development platform, which the tool
    plays itself; empty for every real platform."""

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )


class Deployment(TimestampMixin, Base):
    """An installation of a registration; Blackboard tells institutions apart only by this."""

    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    institution_paid: Mapped[bool] = mapped_column(default=False)
    """Learners of every course in this deployment book without paying."""
    registration: Mapped[Registration] = relationship(back_populates="deployments")


class RegistrationInvite(Base):
    """A one-time permission to register a platform by Dynamic Registration.

    Only the SHA-256 digest of the invitation token is stored: the token itself is shown once,
    to the administrator who asked for it, inside the URL they paste into the platform.
    """

    __tablename__ = "lti_registration_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="SET NULL")
    )
    """The registration the invitation was used for; empty again if that one is removed."""
    note: Mapped[str] = mapped_column(String(255), default="")
    registration: Mapped[Registration | None] = relationship()


class ToolKey(TimestampMixin, Base):
    """A key pair the tool signs its messages with; published in the JWKS while not retired."""

    __tablename__ = "lti_tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    # Deferred: opened only when a message is signed, never to publish the JWKS or list keys.
    private_key_pem: Mapped[str] = mapped_column(SealedText, deferred=True)
    public_jwk: Mapped[dict[str, object]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    """The key new messages are signed with; exactly one is active."""
    retire_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    """After this instant the key is no longer published."""


class UsedNonce(Base):
    """Nonces of accepted id_tokens, so a replayed token is refused."""

    __tablename__ = "lti_used_nonces"
    __table_args__ = (UniqueConstraint("issuer", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    nonce: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class Course(TimestampMixin, Base):
    """An LTI context (an LMS course), or a course created on the standalone site."""

    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("deployment_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_deployments.id", ondelete="CASCADE"), index=True
    )
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    institution_paid: Mapped[bool] = mapped_column(default=False)
    services: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    """The latest AGS and NRPS endpoints the platform sent for this course."""
    deployment: Mapped[Deployment | None] = relationship()


class Enrollment(TimestampMixin, Base):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The neutral roles of the latest launch ("learner", "instructor", "admin")."""
    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship()
