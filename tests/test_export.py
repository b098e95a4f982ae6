"""The static export (`flask export DIR`) and the snapshot folder kept from it."""

import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import Incident, IncidentStatus
from statuspage.publicsite.export import MANIFEST, export_site
from statuspage.publicsite.render import every_surface
from statuspage.publicsite.snapshot import Snapshot
from statuspage.publicsite.urls import STATIC_FILES, export_file
from tests.factories import make_published


@pytest.fixture
def world(public_world):
    return public_world


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and path.name != MANIFEST
    }


def test_the_export_command_writes_every_public_surface_and_the_assets(
    app, runner, world, tmp_path
):
    result = runner.invoke(args=["export", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "Exported" in result.output
    with app.app_context():
        paths = [surface.path for surface in every_surface(now=utcnow())]
    written = files_in(tmp_path / "site")
    for path in paths:
        assert export_file(path) in written, path
        assert export_file(path) + ".gz" in written, path
    for name in STATIC_FILES:
        assert f"static/{name}" in written
    assert {"index.html", "history.html", "api/v2/summary.json", "maintenance.ics"} <= set(written)
    assert f"incidents/{world.open_incident}.html" in written


def test_links_between_exported_pages_lead_to_exported_files(app, world, tmp_path):
    with app.app_context():
        export_site(tmp_path, now=utcnow())
    pages = list(tmp_path.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        for link in re.findall(r'(?:href|src)="([^"]+)"', page.read_text()):
            parts = urlsplit(link)
            if parts.scheme or link.startswith("#"):
                continue
            assert not link.startswith("/"), f"{page.name}: {link} only works at the domain root"
            target = (page.parent / parts.path).resolve()
            assert target.is_file(), f"{page.relative_to(tmp_path)} links to missing {link}"


def test_exported_files_carry_the_publication_time(app, world, tmp_path):
    with app.app_context():
        manifest = export_site(tmp_path, now=utcnow())
    stamp = (tmp_path / "index.html").stat().st_mtime
    assert abs(stamp - datetime.fromisoformat(manifest.changed_at).timestamp()) < 1


def test_an_incremental_export_equals_a_full_one(app, world, tmp_path):
    with app.app_context():
        first = export_site(tmp_path / "first", now=utcnow())
        incident = db.session.get(Incident, world.open_incident)
        make_published(
            incident, body="Fixed for good.", status=IncidentStatus.RESOLVED, now=utcnow()
        )
        db.session.commit()
        later = utcnow()
        since = datetime.fromisoformat(first.changed_at)
        export_site(
            tmp_path / "second",
            now=later,
            previous=tmp_path / "first",
            changed_since=since - timedelta(minutes=5),
        )
        export_site(tmp_path / "full", now=later)
    incremental, full = files_in(tmp_path / "second"), files_in(tmp_path / "full")
    assert incremental.keys() == full.keys()
    assert [name for name in full if incremental[name] != full[name]] == []
    assert b"Fixed for good." in incremental[f"incidents/{world.open_incident}.html"]
    # The previous export is left as it was (hard links are replaced, never written through).
    assert b"Fixed for good." not in (tmp_path / "first" / "index.html").read_bytes()


def test_a_snapshot_swaps_in_a_new_build_when_the_version_moves(app, world, tmp_path):
    snapshot = Snapshot(tmp_path)
    with app.app_context():
        assert snapshot.refresh(now=utcnow()) is not None
        first = snapshot.current.resolve()
        assert snapshot.refresh(now=utcnow()) is None  # nothing changed
        incident = db.session.get(Incident, world.open_incident)
        make_published(incident, body="Snapshot news.", now=utcnow())
        db.session.commit()
        assert snapshot.refresh(now=utcnow()) is not None
    assert snapshot.current.is_symlink() and snapshot.current.resolve() != first
    assert b"Snapshot news." in (snapshot.current / "index.html").read_bytes()
    assert b"Snapshot news." not in (first / "index.html").read_bytes()
