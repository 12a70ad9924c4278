"""``lti-tool worker`` and ``lti-tool jobs list | retry | purge``."""

from __future__ import annotations

import datetime as dt

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from lti_tool.booking.clock import current_time
from lti_tool.database import write_transaction
from lti_tool.jobs import count_by_state
from lti_tool.jobs import runner
from lti_tool.jobs.queue import hand_out_due
from lti_tool.jobs.queue import queue_of
from lti_tool.models import db
from lti_tool.models.jobs import Job
from lti_tool.models.jobs import JobState


@click.command("worker")
@click.option(
    "--threads", default=2, show_default=True, type=click.IntRange(1, 64), help="Jobs at once."
)
@click.option(
    "--drain",
    is_flag=True,
    help="Run every due job here, once, and exit (no queue, no periodic tasks).",
)
@with_appcontext
def worker_command(threads: int, drain: bool) -> None:
    """Run background jobs (grades, refunds, e-mails, reminders) until stopped.

    SIGINT stops after the jobs in hand; SIGTERM at once (an interrupted job runs again once
    its lease is over).
    """
    if drain:
        click.echo(f"{runner.run_due()} job(s) ran.")
        return
    queue = queue_of(current_app)
    # Whatever fell due while no worker ran starts now, not at the first minute's sweep.
    hand_out_due(queue)
    consumer = queue.huey.create_consumer(
        workers=threads, worker_type="thread", periodic=True, check_worker_health=True
    )
    consumer.run()


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: what waits, what failed and why."""


def _job_ids(session: sa.orm.Session, ids: tuple[int, ...], every_failed: bool) -> list[Job]:
    query = sa.select(Job).where(Job.state == JobState.FAILED)
    if not every_failed:
        query = query.where(Job.id.in_(ids))
    return list(session.scalars(query.order_by(Job.id)))


@jobs_group.command("list")
@click.option(
    "--state",
    type=click.Choice([s.value for s in JobState]),
    default=JobState.FAILED.value,
    show_default=True,
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@with_appcontext
def list_command(state: str, limit: int) -> None:
    """Counts by state, then the jobs in STATE with their last error."""
    counts = count_by_state()
    click.echo(", ".join(f"{name}: {n}" for name, n in counts.items()))
    rows = db.session.scalars(
        sa.select(Job).where(Job.state == JobState(state)).order_by(Job.id.desc()).limit(limit)
    )
    for job in rows:
        when = job.run_at.strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"#{job.id} {job.name} attempts {job.attempts}/{job.max_attempts} at {when}")
        if job.last_error:
            click.echo("    " + job.last_error.strip().splitlines()[-1][:300])


@jobs_group.command("retry")
@click.argument("ids", nargs=-1, type=click.IntRange(1, 2**63 - 1))
@click.option("--all-failed", is_flag=True, help="Every failed job.")
@with_appcontext
def retry_command(ids: tuple[int, ...], all_failed: bool) -> None:
    """Run failed jobs IDS again, from their first attempt."""
    if bool(ids) == all_failed:
        raise click.UsageError("name failed job ids, or pass --all-failed (not both)")
    with write_transaction() as session:
        found = _job_ids(session, ids, all_failed)
        missing = set(ids) - {job.id for job in found}
        if missing:
            raise click.UsageError(
                f"not a failed job: {', '.join(f'#{i}' for i in sorted(missing))}"
            )
        for job in found:
            job.state, job.attempts, job.run_at = JobState.QUEUED, 0, current_time()
            job.finished_at = None
    for job in found:
        queue_of(current_app).wake(job.id, job.run_at)
    click.echo(f"{len(found)} job(s) queued again.")


@jobs_group.command("purge")
@click.option("--older-than-days", default=30, show_default=True, type=click.IntRange(0, 36_500))
@click.option("--failed", "with_failed", is_flag=True, help="Failed jobs too, not only done.")
@with_appcontext
def purge_command(older_than_days: int, with_failed: bool) -> None:
    """Delete finished jobs older than the given number of days."""
    states = [JobState.DONE, JobState.FAILED] if with_failed else [JobState.DONE]
    cutoff = current_time() - dt.timedelta(days=older_than_days)
    with write_transaction() as session:
        result = session.execute(
            sa.delete(Job).where(Job.state.in_(states), Job.finished_at <= cutoff)
        )
    click.echo(f"{int(result.rowcount or 0)} job(s) deleted.")  # type: ignore[attr-defined]
