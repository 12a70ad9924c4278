"""Running jobs: claim a row for a lease, run its handler, record what happened.

Claiming is one short write transaction, so two workers never hold one job at once: on
PostgreSQL the row is locked with ``SKIP LOCKED`` (a worker passes over a job another is
claiming), on SQLite writers take turns. The handler runs outside any transaction of the
runner's, so its own writes commit as it makes them.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback

import sqlalchemy as sa
from flask import current_app

from lti_tool.booking.clock import current_time
from lti_tool.database import write_transaction
from lti_tool.jobs import JobRefused
from lti_tool.jobs import backoff
from lti_tool.jobs import handler_for
from lti_tool.models import db
from lti_tool.models.jobs import Job
from lti_tool.models.jobs import JobState

log = logging.getLogger("lti_tool.jobs")
MAX_ERROR = 4000


def claim(job_id: int | None = None) -> int | None:
    """Take one due job (job *job_id*, or the one due longest) for a lease.

    :returns: the id of the job now running here, or ``None`` when there is none.
    """
    now = current_time()
    with write_transaction() as session:
        query = sa.select(Job).where(Job.state == JobState.QUEUED, Job.run_at <= now)
        if job_id is not None:
            query = query.where(Job.id == job_id)
        query = query.order_by(Job.run_at, Job.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        found = session.scalar(query)
        if found is None:
            return None
        found.state = JobState.RUNNING
        found.attempts += 1
        # How long an attempt may take before another worker may take the job over.
        found.lease_until = now + dt.timedelta(
            seconds=int(current_app.config["JOBS_LEASE_SECONDS"])
        )
        return found.id


def run(job_id: int) -> JobState:
    """Run the claimed job *job_id* and record the outcome."""
    job = db.session.get(Job, job_id)
    assert job is not None and job.state == JobState.RUNNING
    name, args, attempts = job.name, dict(job.args or {}), job.attempts
    db.session.rollback()  # the handler starts from a clean session
    handler = handler_for(name)
    try:
        if handler is None:
            raise JobRefused(f"no handler is registered for the job {name!r}")
        handler.run(**args)
    except JobRefused as exc:
        db.session.rollback()
        return _finish(job_id, JobState.FAILED, f"refused: {exc}")
    except Exception as exc:
        db.session.rollback()
        log.warning("job %s (%s) attempt %s failed: %s", job_id, name, attempts, exc)
        return _failed_attempt(job_id, traceback.format_exc(limit=8))
    return _finish(job_id, JobState.DONE, None)


def _finish(job_id: int, state: JobState, error: str | None) -> JobState:
    with write_transaction() as session:
        job = session.get(Job, job_id, populate_existing=True)
        if job is None:
            return state
        job.state, job.lease_until = state, None
        job.finished_at = current_time()
        if error is not None:
            job.last_error = error[-MAX_ERROR:]
    if state == JobState.FAILED:
        log.error("job %s failed for good: %s", job_id, error)
    return state


def _failed_attempt(job_id: int, error: str) -> JobState:
    with write_transaction() as session:
        job = session.get(Job, job_id, populate_existing=True)
        if job is None:
            return JobState.FAILED
        job.last_error = error[-MAX_ERROR:]
        job.lease_until = None
        if job.attempts >= job.max_attempts:
            job.state, job.finished_at = JobState.FAILED, current_time()
        else:
            job.state, job.run_at = JobState.QUEUED, current_time() + backoff(job.attempts)
        return job.state


def reclaim_abandoned() -> int:
    """Put back jobs whose worker died mid-attempt (their lease ran out); the attempt
    counts. :returns: how many were put back or, out of attempts, failed."""
    now = current_time()
    with write_transaction() as session:
        stale = session.scalars(
            sa.select(Job).where(Job.state == JobState.RUNNING, Job.lease_until < now)
        ).all()
        for job in stale:
            job.last_error = "the worker stopped during this attempt"
            job.lease_until = None
            if job.attempts >= job.max_attempts:
                job.state, job.finished_at = JobState.FAILED, now
            else:
                job.state, job.run_at = JobState.QUEUED, now
        return len(stale)


def run_due(limit: int | None = None) -> int:
    """Run due jobs one after another here, until none is due (or *limit* ran).

    :returns: how many jobs ran.
    """
    reclaim_abandoned()
    ran = 0
    while limit is None or ran < limit:
        job_id = claim()
        if job_id is None:
            break
        run(job_id)
        ran += 1
    return ran


def due_ids(limit: int = 1000) -> list[int]:
    """Jobs due now, oldest first: what the periodic sweep hands to the queue again."""
    now = current_time()
    query = (
        sa.select(Job.id)
        .where(Job.state == JobState.QUEUED, Job.run_at <= now)
        .order_by(Job.run_at, Job.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))
