"""Invariant 1 on every public surface: an internal-only component, an internal audience's
published update, a customer draft (and one in review) and an incident only staff were told about
appear nowhere: not on any page, feed, JSON document or calendar, nor in the static export.
"""

import gzip

import pytest

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import Component
from statuspage.publicsite.export import export_site
from statuspage.publicsite.render import every_surface
from tests.public_world import CANARIES

EXTRA_PATHS = ["/history?page=1", "/history.atom?component=1", "/updates.rss?component=2"]


@pytest.fixture
def world(app, public_world):
    with app.app_context():
        internal = db.session.query(Component).filter(Component.name == "Deploy pipeline").one()
        public_world.internal_component = internal.id
    return public_world


def leaks(content: bytes) -> list[str]:
    text = content.decode("utf-8", "replace").lower()
    return [canary for canary in (*CANARIES, "Deploy pipeline") if canary.lower() in text]


def public_paths(app):
    with app.app_context():
        return [surface.path for surface in every_surface(now=utcnow())] + EXTRA_PATHS


def test_every_public_url_is_free_of_internal_things(app, client, world):
    paths = public_paths(app)
    assert len(paths) > 30
    assert f"/incidents/{world.open_incident}" in paths
    assert f"/incidents/{world.hidden_incident}" not in paths
    for path in paths:
        for encoding in ("identity", "gzip"):
            response = client.get(path, headers={"Accept-Encoding": encoding})
            assert response.status_code == 200, path
            body = gzip.decompress(response.data) if encoding == "gzip" else response.data
            assert leaks(body) == [], path


def test_internal_things_cannot_be_asked_for_by_address(client, world):
    assert client.get(f"/incidents/{world.hidden_incident}").status_code == 404
    for kind in ("history", "updates"):
        response = client.get(f"/{kind}.atom?component={world.internal_component}")
        assert response.status_code == 404 and leaks(response.data) == []


def test_the_export_is_free_of_internal_things(app, world, tmp_path):
    with app.app_context():
        export_site(tmp_path, now=utcnow())
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) > 60
    for path in files:
        content = path.read_bytes()
        if path.suffix == ".gz":
            content = gzip.decompress(content)
        assert leaks(content) == [], path
    assert not (tmp_path / "incidents" / f"{world.hidden_incident}.html").exists()
