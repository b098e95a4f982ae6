"""The scheduler process: runs every job in jobs.JOBS on its interval, each in a fresh app context.

It is its own process (`flask --app statuspage scheduler`), never a thread in a web worker, so
several web workers do not run every job several times. On PostgreSQL several schedulers may
run: only the leader (see Leadership) runs jobs, the others stand by to take over. Every job is
safe to run twice anyway (unique keys on what it creates), so a brief overlap does no harm.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy.pool import NullPool

from statuspage.core.clock import utcnow
from statuspage.core.database import allow_statements
from statuspage.extensions import db
from statuspage.jobs import JOBS, Job, find_job

log = logging.getLogger(__name__)
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
# Any constant, the same in every scheduler of a database (migrations lock 7_301_001).
SCHEDULER_LOCK = 7_301_002
# The server drops the session of a leader whose host vanished without closing its connection
# after 10 + 3 x 5 = 25 s of silence, so a standby takes over within 30 s even then.
SERVER_KEEPALIVES = {
    "tcp_keepalives_idle": 10,
    "tcp_keepalives_interval": 5,
    "tcp_keepalives_count": 3,
}


class Leadership:
    """Whether this scheduler may run jobs now.

    On PostgreSQL the leader is the scheduler holding a session-level advisory lock
    (pg_try_advisory_lock) on a connection of its own. The lock lives exactly as long as that
    session: when the leader dies, even by SIGKILL, the kernel closes its socket, the server ends
    the session and frees the lock, and a standby's next attempt takes it. The leader re-checks
    that it still holds the lock before every job; if its connection breaks it stands down and
    competes again. On SQLite there is no lock to share: run exactly one scheduler, which leads.
    """

    def __init__(self, url: sa.URL, *, connect_timeout: int) -> None:
        self.is_postgresql = url.get_backend_name() == "postgresql"
        self.is_leader = not self.is_postgresql
        self._engine = sa.create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "connect_timeout": connect_timeout,
                # The client side of the same watch: a dead server is noticed, not waited on.
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
            },
        )
        self._connection: sa.Connection | None = None
        self._mutex = threading.Lock()  # jobs check from several scheduler threads

    def check(self) -> bool:
        """Take the lead if it is free, or confirm this process still holds it."""
        if not self.is_postgresql:
            return True
        with self._mutex:
            was_leader = self.is_leader
            try:
                self.is_leader = self._holds_lock() if was_leader else self._try_lock()
            except sa.exc.DBAPIError:
                log.warning("scheduler lost its leadership connection", exc_info=True)
                self._disconnect()
                self.is_leader = False
            if self.is_leader and not was_leader:
                log.info("scheduler leads")
            elif was_leader and not self.is_leader:
                log.warning("scheduler lost the lead")
            return self.is_leader

    def release(self) -> None:
        """Give the lead up at once, so a standby can take it on its next attempt."""
        with self._mutex:
            if self.is_leader and self._connection is not None:
                # Closing the session would free the lock too, but the server ends the session
                # a moment after the socket closes; unlocking first leaves no such gap.
                with contextlib.suppress(sa.exc.DBAPIError):
                    self._connection.execute(
                        sa.text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK}
                    )
            self._disconnect()
            self.is_leader = not self.is_postgresql

    def _connect(self) -> sa.Connection:
        if self._connection is None:
            connection = self._engine.connect()
            for name, value in SERVER_KEEPALIVES.items():
                connection.execute(sa.text(f"SET {name} = {int(value)}"))
            self._connection = connection
        return self._connection

    def _try_lock(self) -> bool:
        locked = self._connect().scalar(
            sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK}
        )
        return bool(locked)

    def _holds_lock(self) -> bool:
        # A bigint advisory key shows in pg_locks as classid (high half), objid (low half) and
        # objsubid 1.
        held = self._connect().scalar(
            sa.text(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                " AND pid = pg_backend_pid() AND classid = :high AND objid = :low"
                " AND objsubid = 1 AND granted)"
            ),
            {"high": SCHEDULER_LOCK >> 32, "low": SCHEDULER_LOCK & 0xFFFFFFFF},
        )
        return bool(held)

    def _disconnect(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self._connection.close()
            self._connection = None


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
    job = find_job(name)
    _allow_job_statements(app)
    return run_job(app, job)


def _allow_job_statements(app: Flask) -> None:
    # A job may wait for a row a console request holds, or work through a long backlog.
    with app.app_context():
        allow_statements(
            app.config["SCHEDULER_STATEMENT_TIMEOUT"], settings=app.config, engine=db.engine
        )


def run_scheduler(app: Flask) -> None:
    """Run the jobs until SIGINT or SIGTERM, then let a running job finish and return.

    Only while this process leads; a standby tries to take the lead every
    SCHEDULER_LEADER_CHECK_SECONDS.
    """
    _allow_job_statements(app)
    with app.app_context():
        leadership = Leadership(
            db.engine.url, connect_timeout=app.config["DATABASE_CONNECT_TIMEOUT"]
        )
    if not leadership.is_postgresql:
        log.info("single scheduler: SQLite has no leader election, so run exactly one")
    elif not leadership.check():
        log.info("scheduler stands by: another scheduler leads")
    # APScheduler logs two lines per run at INFO; "job finished" below already says what ran.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        leadership.check,
        "interval",
        seconds=float(app.config["SCHEDULER_LEADER_CHECK_SECONDS"]),
        id="leadership",
        max_instances=1,
        coalesce=True,
    )
    for job in JOBS:
        scheduler.add_job(
            _run_if_leading,
            "interval",
            seconds=job.interval(app.config).total_seconds(),
            args=(app, job, leadership),
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
    leadership.release()
    log.info("scheduler stopped")


def _run_if_leading(app: Flask, job: Job, leadership: Leadership) -> None:
    if not leadership.check():
        return
    # run_job has logged the failure; the scheduler goes on with the other jobs.
    with contextlib.suppress(Exception):
        run_job(app, job)
