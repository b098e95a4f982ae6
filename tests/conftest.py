"""Fixtures: a fresh app per test over a schema built once per worker and emptied after each test."""

from __future__ import annotations

import os
import select
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from statuspage import create_app
from statuspage.core.clock import pinned
from statuspage.extensions import db, limiter
from statuspage.services.defaults import ensure_defaults
from tests.databases import empty_all_tables, fresh_database_url, postgres_base_url
from tests.factories import NOW
from tests.helpers import RUN_INSTANT, TEST_NOW_VARIABLE, page_zone, settings_for
from tests.mail import MailSink
from tests.processes import kill_leftovers
from tests.public_world import World, build_world
from tests.webhook_receiver import WebhookReceiver
from tests.worlds import ModuleWorld


def _sleep_by_select(seconds: float) -> None:
    select.select([], [], [], seconds)


if "faketime" in os.environ.get("LD_PRELOAD", ""):
    # CI's awkward-instant passes run under libfaketime with FAKETIME_DONT_FAKE_MONOTONIC=1 (a faked
    # monotonic clock makes every timed wait on a lock wait for years). In that mode time.sleep's
    # absolute clock_nanosleep fails with EINVAL; select's timeout is relative and is not faked.
    time.sleep = _sleep_by_select


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Slow tests first: the two-minute scheduler handover then runs while the other worker gets
    # through the quick ones, instead of starting last and holding the run up alone.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_configure() -> None:
    # xdist workers and anything else the run starts read the same instant.
    os.environ.setdefault(TEST_NOW_VARIABLE, RUN_INSTANT.isoformat())


def pytest_report_header() -> list[str]:
    base = postgres_base_url()
    return [
        f"statuspage database: {'PostgreSQL ' + base if base else 'SQLite'}",
        f"statuspage test clock: {RUN_INSTANT.isoformat()} in {page_zone()}",
        f"  (set {TEST_NOW_VARIABLE}={RUN_INSTANT.isoformat()} to repeat at the same instant)",
    ]


@pytest.fixture(autouse=True)
def now(request: pytest.FixtureRequest) -> Iterator[datetime]:
    """The run's one instant; the app's clock stands still at it while an in-process test runs.

    Tests that start servers or schedulers (marked slow) watch real time pass, so they keep the
    real clock and build their worlds on the wall clock's instant at their start.
    """
    if request.node.get_closest_marker("slow"):
        yield datetime.now(UTC).replace(microsecond=0)
        return
    with pinned(RUN_INSTANT) as moment:
        yield moment


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    url = fresh_database_url(f"statuspage_test_{worker_id}", tmp_path_factory.mktemp("db"))
    app = create_app(settings_for(url))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


@pytest.fixture(scope="session")
def _worker_app(database_url: str) -> tuple[Flask, dict[str, object]]:
    """One app per worker (building one compiles every URL rule), with its settings as built."""
    app = create_app(settings_for(database_url))
    return app, dict(app.config)


@pytest.fixture
def app(_worker_app: tuple[Flask, dict[str, object]]) -> Iterator[Flask]:
    """The app as new: the worker's one app, put back after each test to how it was built.

    What a test can change is put back: settings, the public cache, rate-limit counts and the
    database (emptied). A test that needs other settings from the start builds its own app.
    """
    app, settings = _worker_app
    yield app
    app.config.clear()
    app.config.update(settings)
    app.extensions["public_cache"].clear()
    app.extensions["public_cache"].clock.interval = float(settings["PUBLIC_VERSION_CHECK_SECONDS"])
    limiter.reset()
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            empty_all_tables(connection, db.metadata)
        db.engine.dispose()


@pytest.fixture(autouse=True)
def reap_processes() -> Iterator[None]:
    """No server or scheduler a test started outlives it."""
    yield
    kill_leftovers()


@pytest.fixture(scope="module")
def public_world_once(database_url: str) -> Iterator[ModuleWorld[World]]:
    """tests/public_world.py's page, built once per module on the run's instant."""
    built = ModuleWorld(database_url, lambda: build_world(now=RUN_INSTANT))
    yield built
    built.close()


@pytest.fixture
def public_world(app: Flask, public_world_once: ModuleWorld[World]) -> World:
    """The public test page in this test's app, as built (see public_world_once)."""
    public_world_once.put_back(app)
    return public_world_once.made


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context for tests that call services and models directly."""
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def mailing(app: Flask, mail_sink: MailSink) -> MailSink:
    """The app sends its email to the real SMTP sink; its audiences and templates exist."""
    app.config["SMTP_URL"] = mail_sink.url
    with app.app_context():
        ensure_defaults(now=NOW)
        db.session.commit()
    return mail_sink


@pytest.fixture
def mail_sink() -> Iterator[MailSink]:
    """A real SMTP server on 127.0.0.1 collecting what it receives."""
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A real HTTP server on 127.0.0.1 recording webhook POSTs."""
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()
