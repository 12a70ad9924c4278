"""Background jobs: every effect on the outside world, recorded before it is attempted.

A job row is written in the same transaction as the change that calls for it, so a commit
never happens without its job and a rollback leaves none behind. The worker reads rows, not
queue messages (see :mod:`lti_tool.jobs`).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON
from sqlalchemy import Enum
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from lti_tool.models.base import Base
from lti_tool.models.base import UTCDateTime
from lti_tool.models.base import utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"
    """Waiting for ``run_at``, or for a worker."""
    RUNNING = "running"
    """Claimed by a worker until ``lease_until``; a worker that dies leaves it to run again."""
    DONE = "done"
    FAILED = "failed"
    """Gave up after its last attempt, or refused for good; ``lti-tool jobs retry`` revives it."""


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_run_at", "state", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    """The registered handler, such as ``gradebook.post_attendance``."""
    args: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    key: Mapped[str | None] = mapped_column(String(255), unique=True)
    """Enqueueing a key that exists already adds nothing, so a job asked for twice (two
    workers sending one reminder, a retried request) exists once."""
    state: Mapped[JobState] = mapped_column(
        Enum(
            JobState, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e]
        ),
        default=JobState.QUEUED,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=10)
    run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
