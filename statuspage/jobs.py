"""Timed work as plain functions: each takes `now` and the settings, and is safe to run twice."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from statuspage.core.site import Site, as_named
from statuspage.extensions import db
from statuspage.services.alerts import handling
from statuspage.services.cadence import alerts
from statuspage.services.incidents import checkins, maintenance, reminders
from statuspage.services.outbox import enqueue, worker
from statuspage.services.outbox.settings import DeliverySettings
from statuspage.services.signin import purge_login_failures


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime, Mapping[str, Any]], object]
    every: timedelta | str  # a fixed interval, or the name of the setting holding it in seconds

    def interval(self, config: Mapping[str, Any]) -> timedelta:
        """How long between two runs under these settings."""
        if isinstance(self.every, str):
            return timedelta(seconds=float(config[self.every]))
        return self.every


def _site(config: Mapping[str, Any]) -> Site:
    # Named as admins chose in the console (subjects, senders, links' words).
    return as_named(Site.from_config(config))


def forget_old_login_failures(now: datetime, config: Mapping[str, Any]) -> int:
    """Delete failed sign-ins that no longer count towards any limit."""
    return purge_login_failures(now=now, window=timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]))


def send_deliveries(now: datetime, config: Mapping[str, Any]) -> worker.Report:
    """Send what is due in the outbox, batch by batch, until nothing is due or the run's time is up.

    Unlike other jobs this one commits as it goes: the claim of a batch must be visible to other
    schedulers before the (slow) sending starts, what the receivers accepted is recorded as sent
    every 0.1 s while a batch goes out, and each batch's outcomes are kept even if a later batch fails.
    """
    settings = DeliverySettings.from_config(config)
    site = _site(config)
    deadline = time.monotonic() + float(config["DELIVERY_RUN_SECONDS"])
    report = worker.Report()
    while time.monotonic() < deadline:
        # A chunk of a long subscriber list at a time, so its first messages leave at once.
        enqueue.continue_fanout(now=now, limit=settings.batch_size)
        db.session.commit()
        claimed = worker.claim_due(now=now, limit=settings.batch_size, lease=settings.lease)
        db.session.commit()
        if not claimed:
            break
        report.add(
            worker.send_claimed(
                claimed, site=site, settings=settings, now=now, checkpoint=db.session.commit
            )
        )
        db.session.commit()
    return report


def raise_cadence_alerts(now: datetime, config: Mapping[str, Any]) -> alerts.TickResult:
    """Remind, mark overdue and escalate every promise whose time has come (each once)."""
    return alerts.send_cadence_alerts(now=now, site=_site(config))


def move_maintenance_windows(
    now: datetime, config: Mapping[str, Any]
) -> list[maintenance.WindowMove]:
    """Start and complete the maintenance windows whose edges have passed."""
    return maintenance.move_maintenance_windows(now=now, site=_site(config))


def send_maintenance_reminders(now: datetime, config: Mapping[str, Any]) -> int:
    """Queue the reminders owed before maintenance windows start (each once)."""
    return reminders.send_due_reminders(now=now, site=_site(config))


def nudge_stale_incidents(now: datetime, config: Mapping[str, Any]) -> int:
    """Nudge the leads of incidents monitoring for too long with no update (once per silence)."""
    return alerts.nudge_stale_incidents(
        now=now,
        quiet_for=timedelta(minutes=float(config["STALE_INCIDENT_MINUTES"])),
        site=_site(config),
    )


def remind_missed_checkins(now: datetime, config: Mapping[str, Any]) -> int:
    """Tell the deputy of each responder whose check-in has fallen due unreported (each once)."""
    return checkins.remind_missed_checkins(
        now=now,
        site=_site(config),
        intervals=config["CHECKIN_INTERVALS"],
    )


def restore_after_alerts(now: datetime, config: Mapping[str, Any]) -> int:
    """Restore the component statuses of resolved alerts whose hold-down has passed."""
    return handling.restore_due(site=Site.from_config(config), now=now)


JOBS: tuple[Job, ...] = (
    Job("purge-login-failures", forget_old_login_failures, timedelta(minutes=10)),
    Job("send-deliveries", send_deliveries, timedelta(seconds=5)),
    Job("cadence-tick", raise_cadence_alerts, "CADENCE_TICK_SECONDS"),
    Job("maintenance-windows", move_maintenance_windows, "CADENCE_TICK_SECONDS"),
    Job("maintenance-reminders", send_maintenance_reminders, "CADENCE_TICK_SECONDS"),
    Job("stale-incidents", nudge_stale_incidents, timedelta(minutes=1)),
    Job("responder-checkins", remind_missed_checkins, "CADENCE_TICK_SECONDS"),
    Job("alert-restores", restore_after_alerts, "ALERT_RESTORE_SECONDS"),
)


def find_job(name: str) -> Job:
    """The job with this name, or KeyError listing the ones there are."""
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(f"no job {name!r}; jobs: {', '.join(job.name for job in JOBS)}")
