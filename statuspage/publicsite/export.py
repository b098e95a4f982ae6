"""The public site written to a folder as static files: pages, feeds, JSON, calendar, assets and
the brand's files (brand/<name>, as the app serves them).

Pages link to each other with paths relative to their own file, so the folder works from any web
server, CDN bucket or sub-folder. Each file gets a .gz sibling (for nginx's gzip_static) and the
time of the publication it shows as its mtime (so Last-Modified and ETags stay put).

An incremental export starts from the previous folder (hard links, so nothing is copied) and
renders again only what a change can reach: the status page, JSON, calendar, the feeds, the months
and the component feeds of the incidents changed since, and those incidents' pages.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from statuspage.publicsite import urls
from statuspage.publicsite.render import Surface, every_surface
from statuspage.publicsite.urls import Links, export_file
from statuspage.services import public
from statuspage.services.branding.settings import current_brand
from statuspage.services.public.version import current_publication

MANIFEST = ".statuspage-export.json"


@dataclass(frozen=True)
class Manifest:
    """What a folder holds: which version, built when, and until when it stays right."""

    version: int
    changed_at: str  # ISO 8601, the publication's time
    built_at: str
    full_at: str  # the last export that rendered everything
    expires_at: str | None  # time alone changes some page then (midnight, a promise falling due)
    history_pages: int
    written: int  # files this export rendered (the rest it took from the previous one)
    brand: str = ""  # the brand's fingerprint: every page wears it, so a new one redoes them all

    @classmethod
    def read(cls, folder: Path) -> Manifest | None:
        try:
            return cls(**json.loads((folder / MANIFEST).read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def is_current(self, version: int, now: datetime) -> bool:
        expired = self.expires_at is not None and now >= datetime.fromisoformat(self.expires_at)
        return self.version == version and not expired


def export_site(
    folder: Path,
    *,
    now: datetime,
    previous: Path | None = None,
    changed_since: datetime | None = None,
    incident_store: Path | None = None,
) -> Manifest:
    """Write the public site into `folder`; with `previous`, only what changed since then.

    With `incident_store`, incident pages are written there (each file replaced atomically) and
    `folder/incidents` links to it, so builds share the many pages that rarely change.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if incident_store is not None:
        incident_store.mkdir(parents=True, exist_ok=True)
        (folder / "incidents").symlink_to(os.path.relpath(incident_store, folder))
    state = current_publication()
    brand = current_brand()
    old = Manifest.read(previous) if previous is not None else None
    if old is not None and old.brand != brand.fingerprint:
        old = None
    zone = current_app.config["TIMEZONE"]
    history_pages = public.history_page_count(now=now, zone=zone)
    if old is not None and previous is not None and changed_since is not None:
        _link_tree(previous, folder)
        ids = public.public_incident_ids(changed_since=changed_since)
        # Time alone moves the history pages' months; their count moves with a new month.
        expired = not old.is_current(old.version, now)
        surfaces = _changed_surfaces(
            now=now, ids=ids, all_history=expired or old.history_pages != history_pages
        )
        full_at = old.full_at
    else:
        surfaces = every_surface(now=now)
        full_at = now.isoformat()
    written, expiries = _write(folder, surfaces, modified=state.changed_at)
    written += _copy_static(folder, modified=state.changed_at)
    for brand_file in brand.files:
        write_file(folder / "brand" / brand_file.name, brand_file.data, modified=state.changed_at)
    manifest = Manifest(
        version=state.version,
        changed_at=state.changed_at.isoformat(),
        built_at=now.isoformat(),
        full_at=full_at,
        expires_at=min(expiries).isoformat() if expiries else None,
        history_pages=history_pages,
        written=written + len(brand.files),
        brand=brand.fingerprint,
    )
    (folder / MANIFEST).write_text(json.dumps(asdict(manifest)))
    return manifest


def _changed_surfaces(*, now: datetime, ids: list[int], all_history: bool) -> Iterable[Surface]:
    """The surfaces a change to these incidents (or to components) can reach."""
    pages = public.history_pages_of(ids, now=now, zone=current_app.config["TIMEZONE"])
    components = public.components_of(ids)
    for surface in every_surface(now=now, incident_ids=ids):
        path = surface.path
        is_history = path.startswith("/history?page=")
        if is_history and not all_history and int(path.rsplit("=", 1)[1]) not in pages:
            continue
        if "component=" in path and int(path.rsplit("=", 1)[1]) not in components:
            continue
        yield surface


def _write(
    folder: Path, surfaces: Iterable[Surface], *, modified: datetime
) -> tuple[int, list[datetime]]:
    count = 0
    expiries = []
    for surface in surfaces:
        name = export_file(surface.path)
        body = surface.render(Links(here=name))
        if body.expires_at is not None:
            expiries.append(body.expires_at)
        target = folder / name
        if _holds(target, body.content):
            continue  # linked from the previous build, and still right
        write_file(target, body.content, modified=modified)
        count += 1
    return count, expiries


def _holds(path: Path, content: bytes) -> bool:
    try:
        return path.stat().st_size == len(content) and path.read_bytes() == content
    except OSError:
        return False


def write_file(path: Path, content: bytes, *, modified: datetime) -> None:
    """Write the file and its .gz sibling through temporary names: never half a file, and never
    into a file a previous export shares through a hard link.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = modified.timestamp()
    for target, data in (
        (path, content),
        (path.with_name(path.name + ".gz"), gzip.compress(content, compresslevel=9, mtime=0)),
    ):
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.utime(temporary, (stamp, stamp))
        os.replace(temporary, target)


def _copy_static(folder: Path, *, modified: datetime) -> int:
    source = Path(current_app.static_folder or "static")
    for name in urls.STATIC_FILES:
        write_file(folder / "static" / name, (source / name).read_bytes(), modified=modified)
    return len(urls.STATIC_FILES)


def _link_tree(source: Path, target: Path) -> None:
    """Make `target` hold the same files as `source` without copying them (hard links); linked
    folders (a shared incident store) are left to the caller.
    """
    start = len(str(source))
    for directory, _, names in os.walk(source):
        into = str(target) + directory[start:]
        os.makedirs(into, exist_ok=True)
        for name in names:
            if name == MANIFEST or os.path.islink(os.path.join(directory, name)):
                continue
            try:
                os.link(os.path.join(directory, name), os.path.join(into, name))
            except FileExistsError:
                pass
            except OSError:
                shutil.copy2(os.path.join(directory, name), os.path.join(into, name))


def changed_since(manifest: Manifest, *, margin: timedelta) -> datetime:
    """Where an incremental export picks up: the previous publication, less a margin for clocks
    that differ between hosts (the time of a change comes from the host that made it).
    """
    return datetime.fromisoformat(manifest.changed_at) - margin
