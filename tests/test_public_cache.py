"""The public response cache: validators, gzip, one render per version, and life without a database."""

import gzip
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from statuspage import create_app
from statuspage.core.clock import utcnow
from statuspage.core.database import DatabaseUnavailable
from statuspage.extensions import db
from statuspage.models import Severity
from statuspage.publicsite import cache, render
from statuspage.publicsite.render import every_surface
from statuspage.services.public.version import bump_publication
from tests.factories import PASSWORD, make_component, make_incident, make_published, make_user
from tests.helpers import settings_for, sign_in, statements_run
from tests.outage import breakable_database
from tests.public_world import build_world


def publish_something(app, body="Something happened."):
    with app.app_context():
        incident = make_incident(severity=Severity.SEV3, now=utcnow())
        make_published(incident, body=body, now=utcnow())
        db.session.commit()


def test_a_repeat_request_with_the_etag_gets_304(client):
    first = client.get("/")
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_request_with_last_modified_gets_304_until_a_publication(app, client):
    first = client.get("/api/v2/status.json")
    since = {"If-Modified-Since": first.headers["Last-Modified"]}
    assert client.get("/api/v2/status.json", headers=since).status_code == 304
    time.sleep(1.1)  # Last-Modified has whole seconds
    publish_something(app)
    assert client.get("/api/v2/status.json", headers=since).status_code == 200


def test_a_publication_changes_the_etag(app, client):
    before = client.get("/").headers["ETag"]
    publish_something(app, body="Fresh news.")
    after = client.get("/")
    assert after.headers["ETag"] != before
    assert client.get("/", headers={"If-None-Match": before}).status_code == 200


def test_clients_that_accept_gzip_get_it(client):
    plain = client.get("/")
    zipped = client.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Vary"] == plain.headers["Vary"] == "Accept-Encoding"
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # two representations, two tags


def test_the_gzip_etag_validates_too(client):
    zipped = client.get("/", headers={"Accept-Encoding": "gzip"})
    headers = {"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]}
    assert client.get("/", headers=headers).status_code == 304


@pytest.mark.parametrize("path", ["/", "/history.atom", "/api/v2/summary.json"])
def test_responses_may_be_cached_briefly_and_served_stale_on_errors(client, path):
    control = client.get(path).headers["Cache-Control"]
    for directive in ("public", "max-age=5", "stale-while-revalidate=", "stale-if-error="):
        assert directive in control


@pytest.mark.parametrize("path", ["/", "/history", "/history.atom", "/api/v2/summary.json"])
def test_a_cache_hit_runs_one_query_at_most_the_version(app, path, now):
    with app.app_context():
        build_world(now=now)
        engine = db.engine
    client = app.test_client()
    assert client.get(path).status_code == 200
    with statements_run(engine) as statements:
        assert client.get(path).status_code == 200
    assert len(statements) <= 1
    assert all("publication" in statement for statement in statements)


def test_within_the_version_interval_a_hit_runs_no_query(app):
    app.extensions["public_cache"].clock.interval = 60
    client = app.test_client()
    client.get("/")
    with app.app_context():
        engine = db.engine
    with statements_run(engine) as statements:
        client.get("/")
    assert statements == []


def renders(endpoint):
    return REGISTRY.get_sample_value("statuspage_public_renders_total", {"endpoint": endpoint}) or 0


def slow_down_index(monkeypatch, seconds=0.3):
    original = render.index

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(render, "index", slow)


def get_together(app, count, path="/"):
    barrier = threading.Barrier(count)
    answers = [None] * count

    def fetch(index):
        client = app.test_client()
        barrier.wait()
        answers[index] = client.get(path)

    threads = [threading.Thread(target=fetch, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_a_new_version_under_load_is_rendered_once_and_readers_get_the_previous_body(
    app, monkeypatch
):
    old = app.test_client().get("/").data
    publish_something(app, body="A new version.")
    slow_down_index(monkeypatch)
    before = renders("public.index")
    answers = get_together(app, 8)
    assert renders("public.index") - before == 1
    assert all(a.status_code == 200 for a in answers)
    assert {a.data for a in answers} <= {old, app.test_client().get("/").data}
    assert b"A new version." in app.test_client().get("/").data


def test_readers_of_a_page_never_rendered_wait_for_the_one_render(app, monkeypatch):
    slow_down_index(monkeypatch)
    before = renders("public.index")
    answers = get_together(app, 6)
    assert renders("public.index") - before == 1
    assert len({a.data for a in answers}) == 1 and answers[0].status_code == 200


def test_a_page_that_changes_with_time_is_rendered_again_when_it_expires(app, client):
    first = client.get("/")
    cache = app.extensions["public_cache"]
    entry = cache.lookup(("index",))
    assert entry.body.expires_at is not None  # midnight, for the bars and the last seven days
    expired = type(entry)(
        **{
            **entry.__dict__,
            "body": render.Body(
                entry.body.content,
                entry.body.content_type,
                expires_at=utcnow() - timedelta(seconds=1),
            ),
        }
    )
    cache._entries[("index",)] = expired
    before = renders("public.index")
    assert client.get("/").data == first.data
    assert renders("public.index") - before == 1


@pytest.fixture
def outage(tmp_path, worker_id):
    return breakable_database(f"statuspage_outage_{worker_id}", tmp_path)


def every_path(app, now):
    with app.app_context():
        return [surface.path for surface in every_surface(now=now)]


def test_with_the_database_gone_every_surface_serves_its_last_body_and_says_how_old(outage, now):
    app = create_app(settings_for(outage.url))
    with app.app_context():
        build_world(now=now)
    client = app.test_client()
    paths = every_path(app, now)
    warm = {path: client.get(path).data for path in paths}
    assert all(client.get(path).status_code == 200 for path in paths)
    outage.stop()
    with app.app_context():
        db.engine.dispose()
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.data == warm[path]
        assert "database unreachable" in response.headers["Warning"]
        assert int(response.headers["Age"]) >= 0
    assert client.get("/readyz").status_code == 503


def test_a_process_started_with_the_database_gone_answers_a_clear_503(outage):
    outage.stop()
    app = create_app(settings_for(outage.url))
    client = app.test_client()
    for path in ["/", "/history", "/history.atom", "/maintenance.ics"]:
        response = client.get(path)
        assert response.status_code == 503
        assert response.mimetype == "text/html"
        assert "cannot reach its database" in response.get_data(as_text=True)
        assert response.headers["Retry-After"]
    api = client.get("/api/v2/summary.json")
    assert (api.status_code, api.mimetype) == (503, "application/problem+json")
    assert "cannot reach its database" in api.json["detail"] and api.headers["Retry-After"]
    assert client.get("/readyz").status_code == 503


def test_requests_queued_behind_a_failed_version_check_do_not_each_ask_again(app, monkeypatch):
    asked = []

    def silent_database():
        asked.append(1)
        time.sleep(0.3)
        raise sa.exc.OperationalError("SELECT version", {}, Exception("no answer"))

    monkeypatch.setattr(cache, "_ask_database", silent_database)
    clock = app.extensions["public_cache"].clock
    clock.interval = 5
    refused = []

    def read():
        with pytest.raises(DatabaseUnavailable):
            clock.read()
        refused.append(1)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert (len(refused), len(asked)) == (3, 1)


def test_a_surface_not_rendered_before_the_outage_answers_503(outage):
    app = create_app(settings_for(outage.url))
    with app.app_context():
        make_component("API")
        db.session.commit()
    client = app.test_client()
    client.get("/")
    outage.stop()
    with app.app_context():
        db.engine.dispose()
    assert client.get("/").status_code == 200
    assert client.get("/history").status_code == 503


def test_the_bumped_version_alone_renders_again(app, client):
    client.get("/")
    before = renders("public.index")
    with app.app_context():
        bump_publication(now=utcnow())
        db.session.commit()
    client.get("/")
    client.get("/")
    assert renders("public.index") - before == 1


@pytest.mark.parametrize("path", ["/", "/history.rss", "/api/v2/summary.json"])
@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_a_cache_hit_answers_exactly_as_the_view_did(client, path, encoding):
    headers = {"Accept-Encoding": encoding}
    first, second = client.get(path, headers=headers), client.get(path, headers=headers)
    assert second.data == first.data
    assert dict(second.headers) == dict(first.headers)


def test_a_head_request_gets_the_headers_without_the_body(client):
    client.get("/")
    response = client.head("/")
    assert response.status_code == 200 and response.data == b""
    assert int(response.headers["Content-Length"]) > 0


def test_cache_hits_are_counted_in_the_request_metrics(client):
    client.get("/")
    before = REGISTRY.get_sample_value(
        "statuspage_http_requests_total",
        {"endpoint": "public.index", "method": "GET", "status": "200"},
    )
    client.get("/")
    after = REGISTRY.get_sample_value(
        "statuspage_http_requests_total",
        {"endpoint": "public.index", "method": "GET", "status": "200"},
    )
    assert after == before + 1


def test_public_answers_never_set_or_vary_on_cookies(app, client):
    with app.app_context():
        make_user(email="reader@example.com", password=PASSWORD)
        db.session.commit()
    sign_in(client, "reader@example.com", PASSWORD)
    for _ in range(2):
        response = client.get("/")
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers["Vary"]
