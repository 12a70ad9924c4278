"""Background jobs: effects on the outside world that must happen, once, even across crashes.

Posting a grade, refunding a payment, sending an e-mail: each is a *job*, a row written by
:func:`enqueue` in the same transaction as the change that calls for it. The row is the
record; a queue message (Huey, on Redis in production or a SQLite file on the embedded
default) only wakes a worker up sooner. A worker claims a row for a lease, runs its handler
and marks it done; a handler that raises is tried again later, with a growing pause, until
its last attempt; a worker that dies mid-job leaves a lease that runs out, and the job runs
again. Handlers therefore make their effect idempotent (an idempotency key at Stripe, a
score's timestamp at the gradebook): a job may run more than once, its effect happens once.

Handlers are registered by name with :func:`job`; plugins do the same through
``lti_tool.api``.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from lti_tool.booking.clock import current_time
from lti_tool.models import db
from lti_tool.models.jobs import Job
from lti_tool.models.jobs import JobState

#: Session.info key: ids of jobs enqueued in the open transaction, to wake a worker for
#: once it commits.
PENDING_WAKEUPS = "lti_tool_jobs_to_wake"
DEFAULT_ATTEMPTS = 10


@dataclass(frozen=True)
class Handler:
    name: str
    run: Callable[..., object]
    max_attempts: int


_handlers: dict[str, Handler] = {}


class JobRefused(Exception):
    """Raised by a handler whose job can never succeed (the thing it acts on is gone): the
    job fails at once, with this message as its error, instead of being tried again."""


def job(
    name: str, *, max_attempts: int = DEFAULT_ATTEMPTS
) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """Register the decorated function as the handler of jobs named *name*.

    The handler is called inside the application context with the job's arguments as
    keywords. It returns when the effect happened; it raises to be tried again later.
    """

    def register(function: Callable[..., object]) -> Callable[..., object]:
        if name in _handlers and _handlers[name].run is not function:
            raise ValueError(f"two handlers for the job {name!r}")
        _handlers[name] = Handler(name, function, max_attempts)
        return function

    return register


def handler_for(name: str) -> Handler | None:
    return _handlers.get(name)


def enqueue(
    name: str,
    /,
    *,
    key: str | None = None,
    delay: dt.timedelta | None = None,
    run_at: dt.datetime | None = None,
    session: Session | None = None,
    **args: t.Any,
) -> int | None:
    """Add the job *name* with *args* (JSON-ready) to the open transaction of *session*.

    It runs after the transaction commits, and not at all if it rolls back. With *key*, a
    job of that key that exists already (in any state) is kept and nothing is added.

    :returns: the new job's id, or ``None`` when *key* was taken.
    :raises ValueError: no handler is registered for *name*.
    """
    if name not in _handlers:
        raise ValueError(f"no handler is registered for the job {name!r}")
    session = session or db.session()
    due = run_at or current_time() + (delay or dt.timedelta())
    values = {
        "name": name,
        "args": args,
        "key": key,
        "state": JobState.QUEUED,
        "attempts": 0,
        "max_attempts": _handlers[name].max_attempts,
        "run_at": due,
        "created_at": current_time(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(Job) if dialect == "postgresql" else sqlite.insert(Job)
    statement = insert.values(**values).on_conflict_do_nothing(index_elements=["key"])
    job_id = session.scalar(statement.returning(Job.id))
    if job_id is not None:
        session.info.setdefault(PENDING_WAKEUPS, []).append((job_id, due))
    return job_id


def pending(session: Session) -> list[tuple[int, dt.datetime]]:
    """Jobs enqueued in *session*'s transaction that just committed (and forgets them)."""
    return list(session.info.pop(PENDING_WAKEUPS, []))


def forget_pending(session: Session) -> None:
    session.info.pop(PENDING_WAKEUPS, None)


def backoff(attempts: int) -> dt.timedelta:
    """The pause after the *attempts*-th failed attempt: 30 s, doubling, at most an hour."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def count_by_state() -> dict[str, int]:
    rows = db.session.execute(sa.select(Job.state, sa.func.count()).group_by(Job.state))
    counts = {state.value: 0 for state in JobState}
    counts.update({JobState(state).value: int(n) for state, n in rows})
    return counts
