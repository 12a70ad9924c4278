"""Background jobs on both databases: a job exists exactly when the change that asked for it
committed, runs until it succeeds with growing pauses, fails for good after its last attempt
or a refusal, comes back when its worker died, and is run by one worker at a time."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import typing as t
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.cli import cli
from lti_tool.database import write_transaction
from lti_tool.jobs import JobRefused
from lti_tool.jobs import enqueue
from lti_tool.jobs import job
from lti_tool.jobs.queue import queue_of
from lti_tool.jobs.runner import claim
from lti_tool.jobs.runner import run_due
from lti_tool.models import Job
from lti_tool.models import JobState
from lti_tool.models import db
from lti_tool.testing import make_test_app
from tests.booking import FakeClock
from tests.booking import install_clock

#: What the test handlers did, by job argument.
effects: Counter[str] = Counter()
#: Failures the flaky handler still has to give, by argument.
failures_left: dict[str, int] = {}
_effects_lock = threading.Lock()


@job("test.record", max_attempts=4)
def record(what: str) -> None:
    if failures_left.get(what, 0) > 0:
        failures_left[what] -= 1
        raise ConnectionError(f"{what}: the far end is down")
    with _effects_lock:
        effects[what] += 1


@job("test.refuse")
def refuse(what: str) -> None:
    raise JobRefused(f"{what} is gone")


@pytest.fixture(autouse=True)
def clean_slate() -> t.Iterator[None]:
    effects.clear()
    failures_left.clear()
    yield


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    return install_clock(app, dt.datetime(2030, 3, 1, 12, tzinfo=dt.UTC))


def jobs_in(state: JobState | None = None) -> list[Job]:
    db.session.rollback()
    query = sa.select(Job).order_by(Job.id)
    if state is not None:
        query = query.where(Job.state == state)
    return list(db.session.scalars(query))


def queued_messages(app: Flask) -> int:
    return int(queue_of(app).huey.pending_count())


def test_a_job_exists_only_if_its_transaction_commits(app: Flask, clock: FakeClock) -> None:
    with pytest.raises(RuntimeError):
        with write_transaction():
            enqueue("test.record", what="rolled back")
            raise RuntimeError("the change failed")
    assert jobs_in() == [] and queued_messages(app) == 0

    with write_transaction():
        job_id = enqueue("test.record", what="kept")
    assert [j.id for j in jobs_in(JobState.QUEUED)] == [job_id]
    # A worker is woken for it once the commit is done.
    assert queued_messages(app) == 1
    assert run_due() == 1 and effects == {"kept": 1}
    assert jobs_in(JobState.DONE)[0].finished_at == clock.now


def test_a_key_makes_a_job_asked_for_twice_exist_once(app: Flask, clock: FakeClock) -> None:
    with write_transaction():
        first = enqueue("test.record", key="reminder:7:24h", what="reminder")
    with write_transaction():
        second = enqueue("test.record", key="reminder:7:24h", what="reminder")
    assert first is not None and second is None
    run_due()
    with write_transaction():
        # Still one, even once the first is done.
        assert enqueue("test.record", key="reminder:7:24h", what="reminder") is None
    assert len(jobs_in()) == 1 and effects == {"reminder": 1}


def test_an_unknown_job_is_refused_and_writes_nothing(app: Flask, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="no handler"):
        with write_transaction():
            enqueue("test.nobody-handles-this", what="x")
    assert jobs_in() == []


def test_failures_are_retried_with_growing_pauses_then_given_up(
    app: Flask, clock: FakeClock
) -> None:
    failures_left["flaky"] = 2
    failures_left["dead"] = 99
    with write_transaction():
        flaky = enqueue("test.record", what="flaky")
        dead = enqueue("test.record", what="dead")

    assert run_due() == 2 and effects == {}
    pauses = []
    for _ in range(3):
        waiting = {j.id: j for j in jobs_in(JobState.QUEUED)}
        pauses.append((waiting[dead].run_at - clock.now).total_seconds())
        clock.now = waiting[dead].run_at - dt.timedelta(seconds=1)
        assert run_due() == 0  # not a second early
        clock.advance(seconds=1)
        run_due()

    assert pauses == [30, 60, 120]
    assert effects == {"flaky": 1}
    by_id = {j.id: j for j in jobs_in()}
    assert (by_id[flaky].state, by_id[flaky].attempts) == (JobState.DONE, 3)
    assert (by_id[dead].state, by_id[dead].attempts) == (JobState.FAILED, 4)
    assert "the far end is down" in (by_id[dead].last_error or "")
    clock.advance(days=30)
    assert run_due() == 0


def test_a_refused_job_fails_at_once(app: Flask, clock: FakeClock) -> None:
    with write_transaction():
        enqueue("test.refuse", what="booking 12")
    run_due()
    (failed,) = jobs_in(JobState.FAILED)
    assert failed.attempts == 1 and failed.last_error == "refused: booking 12 is gone"


def test_a_job_whose_worker_died_runs_again_after_its_lease(app: Flask, clock: FakeClock) -> None:
    app.config["JOBS_LEASE_SECONDS"] = 120
    with write_transaction():
        job_id = enqueue("test.record", what="interrupted")
    # A worker claims it and dies before recording anything.
    assert claim() == job_id
    assert run_due() == 0  # leased: nobody else takes it
    clock.advance(seconds=119)
    assert run_due() == 0
    clock.advance(seconds=2)
    assert run_due() == 1
    (done,) = jobs_in(JobState.DONE)
    assert done.attempts == 2 and effects == {"interrupted": 1}


def test_two_workers_never_run_one_job_twice(app: Flask, clock: FakeClock) -> None:
    with write_transaction():
        for number in range(40):
            enqueue("test.record", what=f"job {number}")
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            try:
                run_due()
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=worker) for _ in range(3)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=60)
    assert errors == []
    assert effects == {f"job {number}": 1 for number in range(40)}
    assert len(jobs_in(JobState.DONE)) == 40


def test_the_command_line_lists_retries_and_purges(app: Flask, clock: FakeClock) -> None:
    failures_left["dead"] = 99
    with write_transaction():
        dead = enqueue("test.record", what="dead")
        enqueue("test.record", what="fine")
    for _ in range(4):
        run_due()
        clock.advance(hours=1)
    runner = app.test_cli_runner()

    listed = runner.invoke(cli, ["jobs", "list"])
    assert listed.exit_code == 0, listed.output
    assert "queued: 0, running: 0, done: 1, failed: 1" in listed.output
    assert f"#{dead} test.record attempts 4/4" in listed.output
    assert "ConnectionError: dead: the far end is down" in listed.output

    neither = runner.invoke(cli, ["jobs", "retry"])
    not_failed = runner.invoke(cli, ["jobs", "retry", str(dead + 1)])
    assert neither.exit_code == 2 and not_failed.exit_code == 2
    assert f"not a failed job: #{dead + 1}" in not_failed.output

    failures_left["dead"] = 0
    retried = runner.invoke(cli, ["jobs", "retry", str(dead)])
    assert retried.exit_code == 0 and "1 job(s) queued again." in retried.output
    assert run_due() == 1 and effects == {"fine": 1, "dead": 1}

    kept = runner.invoke(cli, ["jobs", "purge", "--older-than-days", "1"])
    assert "0 job(s) deleted." in kept.output
    clock.advance(days=2)
    purged = runner.invoke(cli, ["jobs", "purge", "--older-than-days", "1"])
    assert purged.exit_code == 0 and "2 job(s) deleted." in purged.output
    assert jobs_in() == []


def test_the_embedded_queue_lives_beside_the_database(tmp_path: Path) -> None:
    from lti_tool.jobs.queue import _beside_the_database

    absolute = make_test_app(f"sqlite:///{tmp_path / 'site.sqlite'}")
    assert _beside_the_database(absolute) == tmp_path / "site.queue.sqlite"
    relative = make_test_app("sqlite:///site.sqlite")
    # Flask-SQLAlchemy puts a relative SQLite file in the instance folder.
    assert _beside_the_database(relative) == Path(relative.instance_path) / "site.queue.sqlite"
    elsewhere = make_test_app("postgresql://postgres@127.0.0.1:1/none")
    assert _beside_the_database(elsewhere) == Path(elsewhere.instance_path) / "queue.sqlite"


def test_a_command_on_a_database_not_yet_migrated_says_what_to_do(tmp_path: Path) -> None:
    lti_tool = Path(sys.executable).parent / "lti-tool"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LTI_TOOL_")}
    environment["LTI_TOOL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'old.sqlite'}"
    result = subprocess.run(
        [str(lti_tool), "jobs", "list"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "run `lti-tool db upgrade` first" in result.stderr
