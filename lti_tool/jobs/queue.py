"""The queue that wakes workers up, and the periodic work they do: Huey.

Huey runs on Redis when the tool has one (every web process and worker share it) and on a
SQLite file beside the database on the embedded default, with no other service; tests use
its in-memory storage. A message carries a job's id only: the job itself is its row, so a
message lost (Redis restarted, a crash between the commit and the push) costs a delay, not
the job: every minute a periodic task hands the queue every due row again and takes back
jobs whose worker died. Huey's own retries are not used; attempts and their pauses are
counted in the row, where ``lti-tool jobs`` can show them.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import typing as t
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask import current_app
from flask import has_app_context
from huey import Huey
from huey import MemoryHuey
from huey import RedisHuey
from huey import SqliteHuey
from huey import crontab
from sqlalchemy.orm import Session

from lti_tool import jobs
from lti_tool.booking.clock import current_time
from lti_tool.jobs import runner
from lti_tool.models import db
from lti_tool.models.jobs import Job
from lti_tool.models.jobs import JobState

log = logging.getLogger("lti_tool.jobs")
EXTENSION = "lti_tool_jobs"
NAME = "lti-tool"


class JobQueue:
    """The application's Huey, made on first use: a command that never enqueues (``lti-tool
    --help``, ``db upgrade``) opens no Redis pool and creates no SQLite queue file."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.periodic: list[Callable[[dt.datetime], object]] = [_expire_holds]
        self._made: tuple[Huey, t.Any] | None = None
        self._lock = threading.Lock()

    @property
    def huey(self) -> Huey:
        return self._make()[0]

    @property
    def run_job(self) -> t.Any:
        """The Huey task that runs one job by id."""
        return self._make()[1]

    def _make(self) -> tuple[Huey, t.Any]:
        with self._lock:
            if self._made is None:
                self._made = _assemble(self)
            return self._made

    def wake(self, job_id: int, due: dt.datetime) -> None:
        """Ask a worker to run *job_id* at *due* (at once if it is due)."""
        delay = (due - dt.datetime.now(dt.UTC)).total_seconds()
        if delay > 1:
            self.run_job.schedule((job_id,), delay=delay)
        else:
            self.run_job(job_id)


def _storage(app: Flask) -> Huey:
    choice = str(app.config.get("JOBS_QUEUE") or "")
    if choice == "memory":
        return MemoryHuey(NAME, results=False)
    redis_url = str(app.config.get("REDIS_URL") or "")
    if choice == "redis" or (not choice and redis_url):
        return RedisHuey(NAME, url=redis_url, results=False)
    path = Path(choice.removeprefix("sqlite:")) if choice else _beside_the_database(app)
    return SqliteHuey(NAME, filename=str(path), results=False)


def _beside_the_database(app: Flask) -> Path:
    url = sa.engine.make_url(str(app.config["DATABASE_URL"]))
    instance = Path(app.instance_path)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        # Flask-SQLAlchemy reads a relative SQLite path from the instance folder; so do we.
        database = Path(url.database)
        place = (database if database.is_absolute() else instance / database).with_suffix(
            ".queue.sqlite"
        )
    else:
        place = instance / "queue.sqlite"
    place.parent.mkdir(parents=True, exist_ok=True)
    return place


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = JobQueue(app)


def _assemble(queue: JobQueue) -> tuple[Huey, t.Any]:
    """The storage *queue*'s settings name, with the tool's tasks registered on it."""
    app = queue.app
    huey = _storage(app)

    @huey.task(name="run_job")
    def run_job(job_id: int) -> None:
        with app.app_context():
            claimed = runner.claim(job_id)
            if claimed is None:
                return  # another worker has it, or it is not due yet, or it is done
            state = runner.run(claimed)
            if state == JobState.QUEUED:
                job = db.session.get(Job, claimed)
                if job is not None:
                    queue.wake(claimed, job.run_at)

    @huey.periodic_task(crontab(minute="*"), name="sweep")
    def sweep() -> None:
        with app.app_context():
            hand_out_due(queue)
            now = current_time()
            for task in queue.periodic:
                try:
                    task(now)
                except Exception:
                    log.exception("periodic task %s failed", getattr(task, "__name__", task))

    @huey.periodic_task(crontab(hour="3", minute="17"), name="privacy_sweep")
    def privacy_sweep() -> None:
        from lti_tool import privacy

        with app.app_context():
            privacy.sweep(current_time())

    return huey, run_job


def _expire_holds(now: dt.datetime) -> None:
    # Lapsed holds stop blocking their slots by themselves; this records the change (audit row,
    # booking_event and its jobs) within a minute instead of at the tutor's next booking.
    from lti_tool.booking import booking_service

    booking_service().expire_holds(now)


def hand_out_due(queue: JobQueue) -> int:
    """Take back jobs whose worker died, and queue a message for every due job (a job
    whose message is waiting already is claimed once all the same). :returns: how many."""
    runner.reclaim_abandoned()
    due = runner.due_ids()
    for job_id in due:
        queue.run_job(job_id)
    return len(due)


def queue_of(app: Flask) -> JobQueue:
    queue: JobQueue = app.extensions[EXTENSION]
    return queue


def every_minute(app: Flask, task: Callable[[dt.datetime], object]) -> None:
    """Run *task(now)* once a minute in a worker, after the due jobs were handed out."""
    queue_of(app).periodic.append(task)


@sa.event.listens_for(Session, "after_commit")
def _wake_workers(session: Session) -> None:
    woken = jobs.pending(session)
    if not woken or not has_app_context():
        return
    queue = current_app.extensions.get(EXTENSION)
    if queue is None:
        return
    for job_id, due in woken:
        try:
            queue.wake(job_id, due)
        except Exception as exc:
            # The row is committed: the sweep hands it out within a minute.
            log.warning("could not wake a worker for job %s: %s", job_id, exc)


@sa.event.listens_for(Session, "after_rollback")
def _nothing_to_wake(session: Session) -> None:
    jobs.forget_pending(session)
