"""The job queue (huey): delivery of queued email, and a sweep of the outbox every minute.

Each app gets one huey instance: SqliteHuey in the instance folder (`huey.sqlite3`) by
default, RedisHuey when HUEY_REDIS_URL is set (several hosts share one queue; needs the
`redis` package). `cocourse worker` runs the consumer; `make run` starts one beside the
development server. Features and plugins add scheduled jobs with the
`register_scheduled_jobs` hook; `cocourse run-scheduled` runs them all once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from huey import RedisHuey, SqliteHuey, crontab

from cocourse.mail import delivery
from cocourse.models import utcnow
from cocourse.plugins import ScheduledJob

log = logging.getLogger("cocourse.jobs")


@dataclass(frozen=True)
class Jobs:
    """An app's huey instance and its mail tasks."""

    huey: Any
    deliver: Any
    sweep: Any


def jobs(app: Flask) -> Jobs:
    """The app's job queue, created on first use."""
    found: Jobs | None = app.extensions.get("cocourse.jobs")
    if found is None:
        found = app.extensions["cocourse.jobs"] = _make(app)
    return found


def _make(app: Flask) -> Jobs:
    url = app.config.get("HUEY_REDIS_URL")
    huey: Any
    if url:
        huey = RedisHuey("cocourse", url=str(url), results=False)
    else:
        path = Path(app.instance_path) / "huey.sqlite3"
        huey = SqliteHuey("cocourse", filename=str(path), results=False)

    @huey.task(name="cocourse.mail.deliver")  # type: ignore[untyped-decorator]
    def deliver(message_id: int) -> None:
        with app.app_context():
            delay = delivery.deliver(app, message_id)
        if delay is not None:
            deliver.schedule((message_id,), delay=delay)

    @huey.periodic_task(crontab(minute="*"), name="cocourse.mail.sweep")  # type: ignore[untyped-decorator]
    def sweep() -> None:
        with app.app_context():
            delivery.deliver_due(app)

    for job in scheduled_jobs(app):
        periodic = huey.periodic_task(crontab(minute=job.minute, hour=job.hour), name=job.name)
        periodic(_runner(app, job))
    return Jobs(huey=huey, deliver=deliver, sweep=sweep)


def _runner(app: Flask, job: ScheduledJob) -> Any:
    """A function for huey that runs `job` (huey names tasks after their module)."""

    def run() -> None:
        run_job(app, job)

    return run


def scheduled_jobs(app: Flask) -> list[ScheduledJob]:
    """The scheduled jobs that the enabled features and plugins register."""
    pm = app.extensions["cocourse.plugins"]
    return [job for batch in pm.hook.register_scheduled_jobs(app=app) for job in batch or ()]


def run_job(app: Flask, job: ScheduledJob, now: datetime | None = None) -> int:
    """Run one scheduled job now (or as if at `now`) with its own session; what it did."""
    base = str(app.config.get("PUBLIC_URL") or "http://localhost")
    with (
        app.test_request_context("/", base_url=base),
        app.extensions["cocourse.sessionmaker"]() as session,
    ):
        done = job.run(session, now or utcnow())
    log.info("scheduled job %s: %d done", job.name, done)
    return done


def enqueue(app: Flask, message_id: int) -> None:
    """Ask the worker to deliver a committed message."""
    jobs(app).deliver(message_id)


def run_pending(app: Flask) -> int:
    """Run the jobs waiting in the queue in this thread (for tests and one-off use); how
    many ran. Jobs set for later (retries) go back to huey's schedule."""
    huey = jobs(app).huey
    count = 0
    while (task := huey.dequeue()) is not None:
        if huey.ready_to_run(task):
            count += 1
        huey.execute(task)  # or, when not ready, adds it to the schedule
    return count


@click.command("run-scheduled")
@with_appcontext
def run_scheduled_command() -> None:
    """Run every scheduled job once now (the worker runs them on their schedule)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for job in scheduled_jobs(app):
        click.echo(f"{job.name}: {run_job(app, job)}")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Threads running jobs.")
@with_appcontext
def worker_command(workers: int) -> None:
    """Deliver queued email and run scheduled jobs until stopped (Ctrl-C or SIGTERM)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = jobs(app)
    click.echo(f"cocourse worker: {workers} thread(s) on {type(found.huey).__name__}", err=True)
    found.huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()
