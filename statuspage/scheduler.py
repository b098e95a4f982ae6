"""The scheduler process: runs every job in jobs.JOBS on its interval, each in a fresh app context.

It is its own process (`flask --app statuspage scheduler`), never a thread in a web worker, so
several gunicorn workers do not run every job several times.
"""

from __future__ import annotations

import contextlib
import logging
import signal

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from statuspage.clock import utcnow
from statuspage.extensions import db
from statuspage.jobs import JOBS, Job, find_job

log = logging.getLogger(__name__)
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def run_job(app: Flask, job: Job) -> object:
    """Run one job in its own app context and transaction; failures are logged and rolled back."""
    with app.app_context():
        try:
            result = job.run(utcnow(), app.config)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job failed", extra={"job": job.name})
            raise
        log.info("job finished", extra={"job": job.name, "result": repr(result)})
        return result


def run_job_by_name(app: Flask, name: str) -> object:
    return run_job(app, find_job(name))


def run_scheduler(app: Flask) -> None:
    """Run the jobs until SIGINT or SIGTERM, then let a running job finish and return."""
    scheduler = BackgroundScheduler(timezone="UTC")
    for job in JOBS:
        scheduler.add_job(
            _run_quietly,
            "interval",
            seconds=job.every.total_seconds(),
            args=(app, job),
            id=job.name,
            max_instances=1,
            coalesce=True,
            next_run_time=utcnow(),
        )
    # The stop signals are blocked before any worker thread exists, so every thread inherits the
    # block and a signal waits for sigwait() below (a signal taken by an idle worker thread would
    # go unnoticed until the next job is due). They are then given their default action, because
    # a shell starts background jobs with SIGINT ignored and an ignored signal is discarded.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, signal.SIG_DFL)
    scheduler.start()
    log.info("scheduler started", extra={"jobs": [job.name for job in JOBS]})
    received = signal.sigwait(STOP_SIGNALS)
    log.info("scheduler stopping", extra={"signal": signal.Signals(received).name})
    scheduler.shutdown(wait=True)
    log.info("scheduler stopped")


def _run_quietly(app: Flask, job: Job) -> None:
    # run_job has logged the failure; the scheduler goes on with the other jobs.
    with contextlib.suppress(Exception):
        run_job(app, job)
