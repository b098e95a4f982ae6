"""A database that is down, hung or locked costs a request seconds, never a worker held for ever:
the console, publishing, signing in and subscribing answer a clear 503 with Retry-After (a problem
document for JSON clients), the public site its last good copy, and all of it comes back by itself.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

from statuspage import create_app
from statuspage.core.clock import pinned
from statuspage.extensions import db
from statuspage.models import Role
from statuspage.views import admin
from tests.console import World, act_as, make_world
from tests.databases import postgres_base_url
from tests.factories import PASSWORD, audience, make_user
from tests.helpers import RUN_INSTANT, csrf_token_from, settings_for
from tests.outage import BreakableDatabase, breakable_database, statement_limit

# What a visitor may wait for an answer while the database is silent: the tests' timeouts
# (statement 1 s, then 1 s for an answer; a fresh connection 2 s, psycopg's least) and a margin.
QUICKLY = 5.0
SILENT_SETTINGS = {"DATABASE_STATEMENT_TIMEOUT": 1, "DATABASE_CONNECT_TIMEOUT": 2}


@dataclass
class Visit:
    """A request someone makes once the database is away, prepared while it still answered (the
    page loaded, its form token taken), on its own client."""

    client: FlaskClient
    path: str
    form: dict[str, object] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def send(self) -> TestResponse:
        if self.form is None:
            return self.client.get(self.path, headers=self.headers)
        return self.client.post(self.path, data=self.form, headers=self.headers)


def _client(app: Flask, user_id: int | None = None) -> FlaskClient:
    client = app.test_client()
    act_as(client, user_id)
    return client


def _publish_form(client: FlaskClient, world: World, staff_id: int) -> dict[str, object]:
    page = client.get(f"/admin/incidents/{world.incident_id}/compose").get_data(as_text=True)
    hidden = dict(re.findall(r'name="(version|loaded_at)"[^>]*value="([^"]*)"', page))
    prefix = f"audience-{staff_id}-"
    return {
        "csrf_token": csrf_token_from(page),
        **hidden,
        "status": "identified",
        "action": "publish",
        prefix + "send": "on",
        prefix + "title": "Cause found",
        prefix + "body": "A bad deploy; rolling back.",
    }


def plan_staff_visits(app: Flask) -> dict[str, Visit]:
    """The console, publishing, signing in and subscribing, each ready to be sent."""
    with pinned(RUN_INSTANT), app.app_context():
        world = make_world()
        staff_id = audience("staff").id
        make_user(Role.VIEWER, email="viewer@example.com", password=PASSWORD)
        db.session.commit()
    commander = world.users["commander"]
    publisher, signing_in, subscriber = _client(app, commander), _client(app), _client(app)
    login_token = csrf_token_from(signing_in.get("/login").get_data(as_text=True))
    subscribe_token = csrf_token_from(subscriber.get("/subscribe").get_data(as_text=True))
    return {
        "console": Visit(_client(app, commander), "/admin/"),
        "publish": Visit(
            publisher,
            f"/admin/incidents/{world.incident_id}/compose",
            _publish_form(publisher, world, staff_id),
        ),
        "sign-in": Visit(
            signing_in,
            "/login",
            {"email": "viewer@example.com", "password": PASSWORD, "csrf_token": login_token},
        ),
        "subscribe page": Visit(_client(app), "/subscribe"),
        "subscribe": Visit(
            subscriber, "/subscribe", {"email": "new@example.com", "csrf_token": subscribe_token}
        ),
    }


def send_all_at_once(visits: dict[str, Visit]) -> dict[str, tuple[TestResponse | None, float]]:
    """Send every visit in a thread of its own, as a busy server would; each answer and how long
    it took (None: no answer in 20 s)."""
    answers: dict[str, tuple[TestResponse | None, float]] = {}
    deadline = time.monotonic() + 20

    def send(name: str, visit: Visit) -> None:
        started = time.monotonic()
        response = visit.send()
        answers[name] = (response, time.monotonic() - started)

    # Daemon threads: without a bound on waiting they would hang for ever, and not hold the run.
    threads = [threading.Thread(target=send, args=item, daemon=True) for item in visits.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0, deadline - time.monotonic()))
    return {name: answers.get(name, (None, 20.0)) for name in visits}


def assert_clear_503(response: TestResponse | None) -> None:
    assert response is not None, "no answer"
    assert response.status_code == 503, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/html"
    assert "The database is not answering" in response.get_data(as_text=True)
    assert "try again in a minute" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"


def assert_503_problem(response: TestResponse) -> None:
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 503
    assert response.json["title"] == "The database is not answering"
    assert int(response.headers["Retry-After"]) > 0


# The database refuses connections (PostgreSQL stopped, or the SQLite file gone).


@dataclass
class Outage:
    app: Flask
    visits: dict[str, Visit]


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Outage]:
    database = breakable_database(
        f"statuspage_refused_{worker_id}", tmp_path_factory.mktemp("refused")
    )
    app = create_app(settings_for(database.url))
    visits = plan_staff_visits(app)
    database.stop()
    with app.app_context():
        db.engine.dispose()
    yield Outage(app, visits)


STAFF_VISITS = ["console", "publish", "sign-in", "subscribe page", "subscribe"]


@pytest.mark.parametrize("name", STAFF_VISITS)
def test_with_the_database_refusing_each_staff_and_subscriber_page_answers_a_clear_503(
    refused, name
):
    assert_clear_503(refused.visits[name].send())


def test_with_the_database_refusing_the_console_answers_json_clients_a_503_problem(refused):
    console = refused.visits["console"]
    assert_503_problem(console.client.get("/admin/", headers={"Accept": "application/json"}))


@pytest.mark.parametrize("path", ["/admin/no-such-page", "/nowhere"])
def test_with_the_database_refusing_a_signed_in_persons_not_found_is_still_a_clear_404(
    refused, path
):
    console = refused.visits["console"]
    answer = console.client.get(path)
    assert answer.status_code == 404 and "Not Found" in answer.get_data(as_text=True)


def test_with_the_database_refusing_an_api_document_never_served_is_a_503_problem(refused):
    assert_503_problem(refused.app.test_client().get("/api/v2/incidents.json"))


@pytest.mark.parametrize(
    "error",
    [
        sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused")),
        sa.exc.InterfaceError("SELECT 1", {}, Exception("connection already closed")),
        sa.exc.DisconnectionError("the pool found the connection dead"),
        sa.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_every_kind_of_database_unavailability_is_a_503(app, client, monkeypatch, error):
    with app.app_context():
        world = make_world()
    act_as(client, world.users["viewer"])

    def unavailable(*args: object) -> None:
        raise error

    monkeypatch.setattr(admin.dashboard, "build_dashboard", unavailable)
    assert_clear_503(client.get("/admin/"))


def test_a_web_request_may_run_a_statement_for_the_statement_timeout(app):
    with app.app_context():
        assert statement_limit(db.session.connection()) == 5


def test_scheduled_jobs_may_run_statements_as_long_as_the_scheduler_setting(app, runner):
    app.config["SCHEDULER_STATEMENT_TIMEOUT"] = 90
    assert runner.invoke(args=["run-job", "purge-login-failures"]).exit_code == 0
    with app.app_context():
        assert statement_limit(db.session.connection()) == 90


def _hold_lock(database_url: str) -> Callable[[], None]:
    """Lock the accounts table from another session until the returned function is called."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database or "", isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        return connection.close
    engine = sa.create_engine(url)
    connection = engine.connect()
    connection.execute(sa.text("LOCK TABLE user_account IN ACCESS EXCLUSIVE MODE"))
    return lambda: (connection.close(), engine.dispose())


def test_a_request_stuck_behind_a_lock_gives_up_after_the_statement_timeout(app, database_url):
    with app.app_context():
        world = make_world()
    app.config["DATABASE_STATEMENT_TIMEOUT"] = 1  # for connections made from now on
    with app.app_context():
        db.engine.dispose()
    viewer = _client(app, world.users["viewer"])  # signing in reads the database
    release = _hold_lock(database_url)
    try:
        answers = send_all_at_once({"console": Visit(viewer, "/admin/")})
    finally:
        release()
    response, waited = answers["console"]
    assert_clear_503(response)
    assert 0.9 < waited < 3


# The database falls silent: it accepts connections and reads them, and never answers.


@pytest.fixture
def silent(tmp_path, worker_id) -> Iterator[BreakableDatabase]:
    if postgres_base_url() is None:
        pytest.skip("a silent server needs PostgreSQL (behind a proxy); SQLite has no server")
    database = breakable_database(f"statuspage_silent_{worker_id}", tmp_path)
    yield database
    database.stop()


def test_with_the_database_silent_every_page_answers_within_seconds(silent):
    app = create_app(settings_for(silent.url, **SILENT_SETTINGS))
    visits = plan_staff_visits(app)
    reader = app.test_client()
    copies = {path: reader.get(path).data for path in ["/", "/api/v2/summary.json"]}
    visits |= {f"public {path}": Visit(app.test_client(), path) for path in copies}
    silent.proxy.silence()
    answers = send_all_at_once(visits)
    assert {name: waited for name, (_, waited) in answers.items() if waited > QUICKLY} == {}
    for name in STAFF_VISITS:
        assert_clear_503(answers[name][0])
    for path, copy in copies.items():
        response = answers[f"public {path}"][0]
        assert (response.status_code, response.data) == (200, copy)


def test_when_a_silent_database_answers_again_everything_works_without_a_restart(silent):
    app = create_app(settings_for(silent.url, **SILENT_SETTINGS))
    visits = plan_staff_visits(app)
    reader = app.test_client()
    reader.get("/")
    silent.proxy.silence()
    during = send_all_at_once({"console": visits["console"], "public": Visit(reader, "/")})
    assert_clear_503(during["console"][0])
    assert "database unreachable" in during["public"][0].headers["Warning"]
    silent.proxy.resume()
    answers = {name: visit.send() for name, visit in visits.items()}
    assert {name: answer.status_code for name, answer in answers.items()} == {
        "console": 200,
        "publish": 302,
        "sign-in": 302,
        "subscribe page": 200,
        "subscribe": 200,
    }
    assert "Warning" not in reader.get("/").headers
