"""Snapshot mode: each web host keeps STATUSPAGE_SNAPSHOT_DIR equal to the public site.

The folder holds builds (`builds/<version>-<time>/`, each a complete export) and a symlink
`current` to the newest; nginx serves `current` (deploy/nginx/statuspage.conf). A new build is
written beside the old one and `current` is swapped with one rename, so a reader never sees half a
site or half a file. Incident pages, thousands of files that rarely change, live in one shared
`incidents/` folder that every build links to; each of them is replaced by a rename too.

How a host learns of a new version: one process on the host (whichever holds the folder's lock;
every web worker tries, so another takes over within a second if it dies) asks the database
for the publication version every POLL_SECONDS, a single-row query, and exports when it moved, or
when time alone changes a page (midnight, a promise falling due). Each host polls on its own, so
there is nothing to configure between hosts. While the database is down the last build stays.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.publicsite.export import Manifest, changed_since, export_site
from statuspage.services.public.version import current_publication

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
STANDBY_SECONDS = 0.5  # how often a process without the lock tries to take it
# A full export now and then also catches what an incremental one cannot see (a renamed component).
FULL_EXPORT_EVERY = timedelta(hours=24)
CLOCK_MARGIN = timedelta(minutes=5)
KEEP_BUILDS = 3


class Snapshot:
    """One host's snapshot folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.builds = folder / "builds"
        self.incidents = folder / "incidents"  # shared by every build (see export_site)
        self.current = folder / "current"

    def manifest(self) -> Manifest | None:
        return Manifest.read(self.current)

    def refresh(self, *, now: datetime) -> Manifest | None:
        """Export a new build if the version moved (or a page's time came); None if up to date."""
        old = self.manifest()
        version = current_publication().version
        is_full_due = old is None or now - datetime.fromisoformat(old.full_at) >= FULL_EXPORT_EVERY
        if old is not None and old.is_current(version, now) and not is_full_due:
            return None
        build = self.builds / f"{version}-{now:%Y%m%dT%H%M%S%f}"
        previous = None if is_full_due else self.current.resolve()
        since = changed_since(old, margin=CLOCK_MARGIN) if old and not is_full_due else None
        started = time.perf_counter()
        manifest = export_site(
            build,
            now=now,
            previous=previous,
            changed_since=since,
            incident_store=self.incidents,
        )
        self._swap(build)
        self._prune()
        log.info(
            "snapshot updated",
            extra={
                "version": manifest.version,
                "full": previous is None,
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
        return manifest

    def _swap(self, build: Path) -> None:
        link = self.folder / f".current.{os.getpid()}.tmp"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(build.relative_to(self.folder))
        os.replace(link, self.current)

    def _prune(self) -> None:
        keep = self.current.resolve()
        builds = sorted(
            (b for b in self.builds.iterdir() if b.is_dir()), key=lambda b: b.stat().st_mtime
        )
        for build in builds[:-KEEP_BUILDS]:
            if build != keep:
                shutil.rmtree(build, ignore_errors=True)


class SnapshotKeeper(threading.Thread):
    """Keeps the folder current while this process holds the host's lock on it."""

    def __init__(self, app: Flask, folder: Path) -> None:
        super().__init__(name="snapshot-keeper", daemon=True)
        self.app = app
        self.snapshot = Snapshot(folder)
        self.stopping = threading.Event()

    def run(self) -> None:
        self.snapshot.builds.mkdir(parents=True, exist_ok=True)
        with open(self.snapshot.folder / ".lock", "a+") as lock:
            while not self.stopping.is_set():
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    self.stopping.wait(STANDBY_SECONDS)
                    continue
                log.info("snapshot keeper leads", extra={"folder": str(self.snapshot.folder)})
                self._keep()
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _keep(self) -> None:
        while not self.stopping.is_set():
            with self.app.app_context():
                try:
                    self.snapshot.refresh(now=utcnow())
                except sa.exc.SQLAlchemyError as error:
                    # The database is away: the last build stays in place for nginx to serve.
                    log.warning(
                        "snapshot not refreshed", extra={"error": str(error).splitlines()[0]}
                    )
                    db.session.rollback()
                    self.stopping.wait(1)
                except Exception:
                    log.exception("snapshot export failed")
                    self.stopping.wait(1)
                finally:
                    db.session.remove()
            self.stopping.wait(POLL_SECONDS)

    def stop(self) -> None:
        self.stopping.set()


def start_in_background(app: Flask) -> SnapshotKeeper | None:
    """In snapshot mode, start keeping the folder from this process (a no-op otherwise)."""
    folder = app.config.get("SNAPSHOT_DIR")
    if not folder:
        return None
    keeper = SnapshotKeeper(app, Path(folder))
    keeper.start()
    return keeper
