"""Timed work as plain functions: each takes `now` and the settings, and is safe to run twice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from statuspage.services.signin import purge_login_failures


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime, Mapping[str, Any]], object]
    every: timedelta


def forget_old_login_failures(now: datetime, config: Mapping[str, Any]) -> int:
    """Delete failed sign-ins that no longer count towards any limit."""
    return purge_login_failures(now=now, window=timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]))


JOBS: tuple[Job, ...] = (
    Job("purge-login-failures", forget_old_login_failures, timedelta(minutes=10)),
)


def find_job(name: str) -> Job:
    """The job with this name, or KeyError listing the ones there are."""
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(f"no job {name!r}; jobs: {', '.join(job.name for job in JOBS)}")
