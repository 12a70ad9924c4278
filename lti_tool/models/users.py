"""People: local accounts and LTI identities, with their site-wide roles."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
import typing as t

from sqlalchemy import JSON
from sqlalchemy import Enum
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from lti_tool.models.base import Base
from lti_tool.models.base import TimestampMixin
from lti_tool.models.base import UTCDateTime

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.models.tutoring import TutorProfile


class RoleName(enum.StrEnum):
    LEARNER = "learner"
    TUTOR = "tutor"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


def _new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    """Lower-cased. LTI launches may carry no e-mail at all."""
    name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str | None] = mapped_column(String(64))
    """The zone the person last chose or their browser reported; None until known."""
    password_hash: Mapped[str | None] = mapped_column(String(255))
    """None for people who only arrive through an LMS."""
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    is_active: Mapped[bool] = mapped_column(default=True)
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    """Key of the person in a system their history was imported from."""
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Language codes the person wants to be taught in, best first."""
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True, default=_new_feed_token)
    """Secret part of the personal iCal feed URL; replacing it revokes the old URL."""
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    """Copied into each session at sign-in; raising it ends every session signed in before."""

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    identities: Mapped[list[LtiIdentity]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    tutor_profile: Mapped[TutorProfile | None] = relationship(back_populates="user")

    @property
    def role_names(self) -> set[RoleName]:
        return {role.role for role in self.roles}

    def has_role(self, role: RoleName) -> bool:
        return role in self.role_names

    def add_role(self, role: RoleName) -> None:
        if not self.has_role(role):
            self.roles.append(UserRole(role=role))

    @property
    def display_name(self) -> str:
        return self.name or (self.email or "").split("@")[0] or f"User {self.id}"


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[RoleName] = mapped_column(
        Enum(
            RoleName, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        ),
        primary_key=True,
    )
    user: Mapped[User] = relationship(back_populates="roles")


class LtiIdentity(TimestampMixin, Base):
    """A person as one LMS platform knows them: the platform's issuer and its ``sub``."""

    __tablename__ = "lti_identities"
    __table_args__ = (UniqueConstraint("issuer", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    sub: Mapped[str] = mapped_column(String(255))
    user: Mapped[User] = relationship(back_populates="identities")
