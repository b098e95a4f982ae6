"""Jobs: the schedule table, running one in its own context, and failures rolled back."""

import signal
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.jobs import JOBS, Job
from statuspage.models import LoginFailure
from statuspage.scheduler import run_job
from tests.factories import NOW
from tests.processes import start_scheduler


def test_job_names_are_unique():
    assert len({job.name for job in JOBS}) == len(JOBS)


def test_a_job_runs_in_its_own_context_and_commits(app):
    with app.app_context():
        db.session.add(LoginFailure(key="account:a", failed_at=NOW - timedelta(days=1)))
        db.session.commit()
    job = next(job for job in JOBS if job.name == "purge-login-failures")
    assert run_job(app, job) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 0


def test_running_a_job_twice_is_harmless(app):
    job = next(job for job in JOBS if job.name == "purge-login-failures")
    assert run_job(app, job) == 0
    assert run_job(app, job) == 0


def test_a_failing_job_is_rolled_back(app):
    def add_then_fail(now, config):
        db.session.add(LoginFailure(key="account:b", failed_at=now))
        db.session.flush()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_job(app, Job("failing", add_then_fail, timedelta(minutes=1)))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 0


def test_the_scheduler_process_runs_its_jobs_and_stops_on_sigterm(database_url):
    scheduler = start_scheduler(database_url)
    scheduler.wait_for_line('"job": "purge-login-failures"')
    assert scheduler.stop(signal.SIGTERM) == 0
    assert '"message": "scheduler stopped"' in scheduler.output
