"""Issue 17's acceptance with the real parts: Debian's prometheus-alertmanager routes an alert
posted to its API to our receiver; Debian's prometheus scrapes a small target this test runs,
its rule `up == 0` fires through Alertmanager when the target stops, and the component shows a
major outage publicly within the rule's `for` plus 30 s, and operational again after the target
comes back (the restore after the hold-down is the scheduler's). All on 127.0.0.1.

STATUSPAGE_REQUIRE_MONITORING=1 (CI) fails rather than skips without the two programs.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from statuspage.core.addresses import alert_receiver_path
from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import IntegrationKind, IntegrationMode
from statuspage.services.alerts import integrations
from tests.factories import make_component
from tests.helpers import TEST_SECRET_KEY
from tests.processes import ManagedProcess, WebProcess, free_port, start_scheduler, start_web

pytestmark = pytest.mark.slow
PROMETHEUS = Path("/usr/bin/prometheus")
ALERTMANAGER = Path("/usr/bin/prometheus-alertmanager")
RULE_FOR_SECONDS = 2
HOLDDOWN_SECONDS = 2


def monitoring_or_skip() -> None:
    missing = [str(path) for path in (PROMETHEUS, ALERTMANAGER) if not path.exists()]
    if not missing:
        return
    reason = f"{' and '.join(missing)} missing (apt-get install prometheus prometheus-alertmanager)"
    if os.environ.get("STATUSPAGE_REQUIRE_MONITORING") == "1":
        pytest.fail(f"STATUSPAGE_REQUIRE_MONITORING=1 but {reason}")
    pytest.skip(reason)


class _Metrics(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"# TYPE demo_requests_total counter\ndemo_requests_total 1\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class Target:
    """A tiny scrape target on a fixed port that can stop and come back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), _Metrics)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def target() -> Iterator[Target]:
    running = Target()
    running.start()
    yield running
    running.stop()


def start_alertmanager(folder: Path, receiver_url: str) -> WebProcess:
    port = free_port()
    config = folder / "alertmanager.yml"
    config.write_text(json.dumps({
        "route": {"receiver": "statuspage", "group_by": ["alertname", "component"],
                  "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "statuspage", "webhook_configs": [
            {"url": receiver_url, "send_resolved": True}]}],
    }))  # fmt: skip
    process = WebProcess(
        [str(ALERTMANAGER), f"--config.file={config}", f"--storage.path={folder / 'am'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        port=port, env=os.environ,
    )  # fmt: skip
    process.wait_until_serving("/-/ready")
    return process


def start_prometheus(folder: Path, alertmanager: WebProcess, target: Target) -> WebProcess:
    port = free_port()
    rules = folder / "rules.yml"
    rules.write_text(json.dumps({"groups": [{"name": "statuspage", "interval": "1s", "rules": [
        {"alert": "TargetDown", "expr": "up == 0", "for": f"{RULE_FOR_SECONDS}s",
         "labels": {"severity": "critical"},
         "annotations": {"summary": "The API's target is down"}}]}]}))  # fmt: skip
    config = folder / "prometheus.yml"
    config.write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": [f"127.0.0.1:{alertmanager.port}"]}]}]},
        "rule_files": [str(rules)],
        "scrape_configs": [{"job_name": "api", "static_configs": [
            {"targets": [f"127.0.0.1:{target.port}"], "labels": {"component": "API"}}]}],
    }))  # fmt: skip
    process = WebProcess(
        [str(PROMETHEUS), f"--config.file={config}", f"--storage.tsdb.path={folder / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}", "--rules.alert.resend-delay=1s"],
        port=port, env=os.environ,
    )  # fmt: skip
    process.wait_until_serving("/-/ready")
    return process


def public_status(web: WebProcess, name: str) -> str:
    status, _, body = web.get("/api/v2/components.json")
    assert status == 200
    return next(c["status"] for c in json.loads(body)["components"] if c["name"] == name)


def wait_for(check: Callable[[], bool], within: float, processes: list[ManagedProcess]) -> float:
    """Seconds until check() held; fails with every process's output past `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if check():
            return time.monotonic() - started
        time.sleep(0.25)
    logs = "\n\n".join(process.output[-4000:] for process in processes)
    raise AssertionError(f"not within {within} s; the processes said:\n{logs}")


def test_prometheus_alerts_reach_the_public_page_through_alertmanager(
    app, database_url, target, tmp_path
):
    monitoring_or_skip()
    with app.app_context():
        make_component("API")
        make_component("Search")
        settings = integrations.Settings(name="Prometheus", mode=IntegrationMode.AUTOMATE,
                                         holddown_seconds=HOLDDOWN_SECONDS)  # fmt: skip
        integration, secret = integrations.create_integration(
            IntegrationKind.ALERTMANAGER, settings, key=TEST_SECRET_KEY, by=None, now=utcnow()
        )
        db.session.commit()
        path = alert_receiver_path(integration.id, secret)
    web = start_web(database_url, workers=1)
    scheduler = start_scheduler(database_url, ALERT_RESTORE_SECONDS="1")
    alertmanager = start_alertmanager(tmp_path, web.url + path)
    everyone: list[ManagedProcess] = [web, scheduler, alertmanager]

    # An alert posted to Alertmanager's own API is routed to us.
    posted = urllib.request.Request(
        f"{alertmanager.url}/api/v2/alerts", method="POST",
        headers={"Content-Type": "application/json"},
        data=json.dumps([{"labels": {"alertname": "SearchSlow", "component": "Search",
                                     "severity": "warning"},
                          "annotations": {"summary": "Search is slow"}}]).encode(),
    )  # fmt: skip
    with urllib.request.urlopen(posted, timeout=10) as answer:
        assert answer.status == 200
    wait_for(lambda: public_status(web, "Search") == "degraded_performance", 15, everyone)

    # Prometheus's rule fires when the target stops, and resolves when it is back.
    prometheus = start_prometheus(tmp_path, alertmanager, target)
    everyone.append(prometheus)
    time.sleep(2)  # a few good scrapes first
    assert public_status(web, "API") == "operational"
    target.stop()
    wait_for(lambda: public_status(web, "API") == "major_outage", RULE_FOR_SECONDS + 30, everyone)
    target.start()
    wait_for(lambda: public_status(web, "API") == "operational", 30, everyone)
