"""Jobs and the scheduler: the schedule table, one run in its own context, failures rolled back,
leader election on PostgreSQL, and the real process raising alerts."""

import signal
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.clock import utcnow
from statuspage.core.config import normalise_database_url
from statuspage.extensions import db
from statuspage.jobs import JOBS, Job, find_job
from statuspage.models import CadenceAlert, LoginThrottle, Severity
from statuspage.scheduler import SCHEDULER_LOCK, Leadership, run_job
from tests.databases import postgres_base_url
from tests.factories import NOW, make_incident
from tests.processes import start_scheduler


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_job_names_are_unique():
    assert len({job.name for job in JOBS}) == len(JOBS)


def test_a_job_runs_in_its_own_context_and_commits(app):
    with app.app_context():
        day_ago = NOW - timedelta(days=1)
        db.session.add(
            LoginThrottle(key="account:a", last_failure_at=day_ago, slowed_until=day_ago)
        )
        db.session.commit()
    job = next(job for job in JOBS if job.name == "purge-login-failures")
    assert run_job(app, job) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginThrottle)) == 0


def test_running_a_job_twice_is_harmless(app):
    job = next(job for job in JOBS if job.name == "purge-login-failures")
    assert run_job(app, job) == 0
    assert run_job(app, job) == 0


def test_a_failing_job_is_rolled_back(app):
    def add_then_fail(now, config):
        db.session.add(LoginThrottle(key="account:b", last_failure_at=now, slowed_until=now))
        db.session.flush()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_job(app, Job("failing", add_then_fail, timedelta(minutes=1)))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginThrottle)) == 0


@pytest.mark.slow
def test_the_scheduler_process_runs_its_jobs_and_stops_on_sigterm(database_url):
    scheduler = start_scheduler(database_url)
    scheduler.wait_for_line('"job": "purge-login-failures"')
    assert scheduler.stop(signal.SIGTERM) == 0
    assert '"message": "scheduler stopped"' in scheduler.output


def test_the_cadence_jobs_are_scheduled_at_least_every_15_seconds(app):
    for name in ("cadence-tick", "maintenance-windows"):
        assert find_job(name).interval(app.config) <= timedelta(seconds=15)


def test_a_job_interval_can_come_from_a_setting():
    job = Job("paced", lambda now, config: None, "CADENCE_TICK_SECONDS")
    assert job.interval({"CADENCE_TICK_SECONDS": 2}) == timedelta(seconds=2)


def test_on_sqlite_the_one_scheduler_always_leads(tmp_path):
    leadership = Leadership(sa.make_url(f"sqlite:///{tmp_path / 'x.sqlite3'}"), connect_timeout=1)
    assert leadership.check() and leadership.is_leader


only_on_postgresql = pytest.mark.skipif(
    postgres_base_url() is None,
    reason="leader election needs PostgreSQL (STATUSPAGE_TEST_DATABASE_URL); on SQLite a single "
    "scheduler is supported and always leads",
)


@pytest.fixture
def leaderships(database_url):
    made = []

    def make():
        leadership = Leadership(
            sa.make_url(normalise_database_url(database_url)), connect_timeout=3
        )
        made.append(leadership)
        return leadership

    yield make
    for leadership in made:
        leadership.release()


@only_on_postgresql
def test_only_one_scheduler_leads_and_a_standby_takes_over_when_it_lets_go(leaderships):
    first, second = leaderships(), leaderships()
    assert first.check() and not second.check()
    assert first.check() and not second.check()  # the leader re-checks and still holds it
    first.release()
    assert second.check() and not first.check()


@only_on_postgresql
def test_a_leader_whose_session_ends_stands_down_and_a_standby_takes_over(app, leaderships):
    first, second = leaderships(), leaderships()
    assert first.check()
    with app.app_context():
        # The server ends the leader's session, as it does when the leader's process dies.
        db.session.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                " AND objid = :key AND database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"key": SCHEDULER_LOCK},
        )
        db.session.commit()
    assert _eventually(second.check)
    assert not first.check() and not first.is_leader


def _eventually(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_the_scheduler_process_raises_alerts_that_have_fallen_due(app, database_url):
    with app.app_context():
        make_incident(severity=Severity.SEV2, now=utcnow() - timedelta(hours=1))
        db.session.commit()
    scheduler = start_scheduler(database_url, CADENCE_TICK_SECONDS="1")
    with app.app_context():
        assert _eventually(lambda: _count(CadenceAlert) > 0, timeout=30), scheduler.output
    scheduler.stop()
