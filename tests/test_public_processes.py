"""The public site in real processes: the web server as production runs it, snapshot folders on two
hosts, the shipped nginx configuration, and a database that goes away.
"""

import gzip
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

import pytest

from statuspage import create_app
from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import Component, Incident, IncidentStatus, Role
from statuspage.publicsite.render import every_surface
from statuspage.services.branding import settings as branding
from statuspage.services.branding.settings import BrandingChoice
from tests.brand_files import SVG_LOGO
from tests.databases import postgres_base_url
from tests.factories import make_published, make_user
from tests.helpers import settings_for
from tests.outage import breakable_database
from tests.processes import free_port, nginx_conf, start_nginx, start_web
from tests.public_world import build_world

pytestmark = pytest.mark.slow
VISIBLE_WITHIN = 1.0


@pytest.fixture
def world(app, now):
    with app.app_context():
        return build_world(now=now)


def publish_news(app, world):
    """A customer update on the open incident and on the scheduled maintenance, in one commit."""
    news = f"fresh-news-{uuid.uuid4().hex[:10]}"
    with app.app_context():
        make_published(db.session.get(Incident, world.open_incident), body=news, now=utcnow())
        window = db.session.get(Incident, world.maintenance[IncidentStatus.SCHEDULED])
        make_published(window, body=news, status=IncidentStatus.SCHEDULED, now=utcnow())
        db.session.commit()
    return news, time.monotonic()


def surfaces_showing_news(world):
    return [
        "/",
        f"/incidents/{world.open_incident}",
        "/history",
        "/history.atom",
        "/history.rss",
        "/updates.atom",
        "/updates.rss",
        "/maintenance.ics",
        "/api/v2/summary.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
    ]


def wait_for_text(fetch, text, *, deadline):
    """Poll until fetch() returns bytes holding text; the moment it did, or None at the deadline."""
    while time.monotonic() < deadline:
        if text.encode() in fetch():
            return time.monotonic()
        time.sleep(0.02)
    return None


def seen_within(fetchers, text, started):
    """For each named fetcher, seconds from `started` until it showed the text (in parallel)."""
    seen = {}

    def watch(name, fetch):
        moment = wait_for_text(fetch, text, deadline=started + 10)
        seen[name] = None if moment is None else moment - started

    threads = [threading.Thread(target=watch, args=item) for item in fetchers.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    return seen


def test_a_publication_shows_on_every_surface_of_both_workers_within_a_second(
    app, database_url, world
):
    web = start_web(database_url, workers=2)
    paths = surfaces_showing_news(world)
    for path in paths * 6:  # both workers render and cache every surface
        assert web.get(path)[0] == 200, path
    news, started = publish_news(app, world)
    seen = seen_within({path: (lambda p=path: web.get(p)[2]) for path in paths}, news, started)
    late = {path: after for path, after in seen.items() if after is None or after > VISIBLE_WITHIN}
    assert late == {}, f"not visible within {VISIBLE_WITHIN}s: {late}"
    # From then on every worker answers with it (a worker may have read the version just before
    # the commit and go on with that for a quarter second, so "then" is one second after it).
    time.sleep(max(0.0, started + VISIBLE_WITHIN - time.monotonic()))
    for path in paths * 4:
        assert news.encode() in web.get(path)[2], path


def wait_for_file(path: Path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file():
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def read_or_nothing(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_snapshot_folders_on_two_hosts_follow_a_publication_within_a_second(
    app, database_url, world, tmp_path
):
    hosts = [tmp_path / "host-a", tmp_path / "host-b"]
    for folder in hosts:
        start_web(database_url, workers=2, SNAPSHOT_DIR=str(folder))
    for folder in hosts:
        wait_for_file(folder / "current" / "index.html")
    news, started = publish_news(app, world)
    files = ["index.html", f"incidents/{world.open_incident}.html", "api/v2/summary.json"]
    fetchers = {
        f"{folder.name}/{name}": (lambda p=folder / "current" / name: read_or_nothing(p))
        for folder in hosts
        for name in files
    }
    seen = seen_within(fetchers, news, started)
    late = {name: after for name, after in seen.items() if after is None or after > VISIBLE_WITHIN}
    assert late == {}, f"not in the snapshot within {VISIBLE_WITHIN}s: {late}"
    for folder in hosts:
        assert (folder / "current").is_symlink()


def nginx_or_skip():
    if shutil.which("nginx") is None:
        if os.environ.get("STATUSPAGE_REQUIRE_NGINX"):
            pytest.fail("nginx is required here (STATUSPAGE_REQUIRE_NGINX) but not installed")
        pytest.skip("nginx is not installed (apt-get install nginx); CI requires it")


def test_the_shipped_nginx_configuration_serves_the_snapshot_and_passes_the_rest(
    app, database_url, world, tmp_path
):
    nginx_or_skip()
    with app.app_context():
        admin = make_user(Role.ADMIN)
        branding.save_branding(BrandingChoice(logo=SVG_LOGO), by=admin, now=utcnow())
        db.session.commit()
        logo = f"/brand/{branding.current_brand().logo.name}"
    snapshot = tmp_path / "snapshot"
    web = start_web(database_url, workers=2, SNAPSHOT_DIR=str(snapshot))
    wait_for_file(snapshot / "current" / "index.html")
    port = free_port()
    proxy = start_nginx(
        nginx_conf(tmp_path, port=port, root=snapshot / "current", app_url=web.url), port
    )
    with app.app_context():
        api = db.session.query(Component).filter_by(name="API").one().id

    def source(path, headers=None):
        status, answer_headers, body = proxy.get(path, headers)
        return status, answer_headers.get("X-Statuspage-Source"), answer_headers, body

    for path in [
        "/",
        "/history",
        f"/incidents/{world.open_incident}",
        f"/history.atom?component={api}",
        "/updates.rss",
        "/api/v2/summary.json",
        "/maintenance.ics",
    ]:
        status, where, headers, body = source(path)
        assert (status, where) == (200, "snapshot"), path
        _, app_headers, _ = web.get(path)
        for name in ("Content-Type", "Access-Control-Allow-Origin"):
            assert headers.get(name) == app_headers.get(name), (path, name)
        if not headers["Content-Type"].startswith("text/html"):
            # Pages link relatively in the snapshot; everything else is the app's very bytes.
            assert body == web.get(path)[2], path
    _, _, headers, _ = source("/api/v2/summary.json")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Content-Type"].startswith("application/json")
    assert "stale-if-error" in headers["Cache-Control"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    _, _, headers, _ = source("/", {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"
    status, where, headers, body = source(logo)
    assert (status, where, body) == (200, "snapshot", SVG_LOGO)
    assert (
        "sandbox" in headers["Content-Security-Policy"] and "immutable" in headers["Cache-Control"]
    )
    # One component's history is the app's: the snapshot holds every component's only.
    status, where, _, body = source(f"/history?component={api}")
    assert (status, where) == (200, "app") and b"Incident history of API" in body
    assert source("/login")[:2] == (200, "app")
    assert source("/incidents/999999")[:2] == (404, "app")
    assert source("/api/v2/")[:2] == (404, "app")  # a folder of the snapshot is no page
    assert source("/.statuspage-export.json")[:2] == (404, "snapshot")  # never the manifest

    # Both files of / were read above, so nginx holds them open: it must still show the new build.
    news, started = publish_news(app, world)
    seen = seen_within(
        {
            "/": lambda: proxy.get("/")[2],
            "/ gzip": lambda: gzip.decompress(proxy.get("/", {"Accept-Encoding": "gzip"})[2]),
        },
        news,
        started,
    )
    assert set(seen) == {"/", "/ gzip"}, seen
    assert all(after is not None and after <= VISIBLE_WITHIN for after in seen.values()), seen

    web.stop()
    status, where, _, body = source("/")
    assert (status, where) == (200, "snapshot") and news.encode() in body


needs_postgres = pytest.mark.skipif(
    postgres_base_url() is None,
    reason="SQLite keeps reading a moved file through connections already open; "
    "test_public_cache covers SQLite in-process, this runs in CI's PostgreSQL pass",
)


@pytest.fixture
def outage(tmp_path, worker_id):
    return breakable_database(f"statuspage_web_outage_{worker_id}", tmp_path)


@needs_postgres
def test_the_web_server_keeps_serving_every_surface_when_the_database_stops(outage, now):
    app = create_app(settings_for(outage.url))
    with app.app_context():
        build_world(now=now)
        paths = [surface.path for surface in every_surface(now=now)]
    web = start_web(outage.url, workers=1)
    warm = {path: web.get(path) for path in paths}
    assert {answer[0] for answer in warm.values()} == {200}
    outage.stop()
    # The version is remembered for a quarter second; then requests notice the outage.
    deadline = time.monotonic() + 10
    while "Warning" not in web.get("/")[1] and time.monotonic() < deadline:
        time.sleep(0.05)
    for path in paths:
        status, headers, body = web.get(path)
        assert status == 200 and body == warm[path][2], path
        assert "database unreachable" in headers["Warning"]
    assert web.get("/readyz")[0] == 503


@needs_postgres
def test_the_web_server_started_with_the_database_down_answers_a_clear_503(outage):
    outage.stop()
    web = start_web(outage.url, workers=1)
    status, headers, body = web.get("/")
    assert status == 503 and b"cannot reach its database" in body
    assert headers["Content-Type"].startswith("text/html") and headers["Retry-After"]
    assert web.get("/readyz")[0] == 503
