"""Liveness, readiness and metrics; the production web server keeps serving and stops cleanly."""

import json
import os
import signal

import pytest

from statuspage import create_app
from statuspage.core.config import ConfigurationError
from tests.helpers import settings_for
from tests.processes import start_web

# Nothing listens on port 9 of loopback, so connecting fails at once.
UNREACHABLE_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:9/none"


def test_healthz_answers_without_touching_the_database():
    app = create_app(settings_for(UNREACHABLE_DATABASE))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_200_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json["database"] == "ok"


def test_readyz_is_503_when_the_database_is_unreachable():
    app = create_app(settings_for(UNREACHABLE_DATABASE))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"


METRICS_TOKEN = "operators-only-0123456789"
BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def metrics_on(app):
    app.config["METRICS_TOKEN"] = METRICS_TOKEN


def test_metrics_count_requests_and_latency_by_endpoint(client, metrics_on):
    client.get("/healthz")
    text = client.get("/metrics", headers=BEARER).get_data(as_text=True)
    assert (
        'statuspage_http_requests_total{endpoint="health.healthz",method="GET",status="200"}'
        in text
    )
    assert 'statuspage_http_request_duration_seconds_bucket{endpoint="health.healthz"' in text


def test_metrics_use_the_prometheus_text_format(client, metrics_on):
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and "version=" in response.content_type


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": f"Bearer {METRICS_TOKEN}x"},
        {"Authorization": f"Basic {METRICS_TOKEN}"},
        {"Authorization": "Bearer"},
    ],
)
def test_metrics_refuse_anyone_without_the_token(client, metrics_on, headers):
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401 and "statuspage_" not in response.get_data(as_text=True)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_metrics_are_off_without_a_token(client):
    assert client.get("/metrics", headers=BEARER).status_code == 404


def test_a_short_metrics_token_is_refused_at_start(database_url):
    with pytest.raises(ConfigurationError, match="METRICS_TOKEN"):
        create_app(settings_for(database_url, METRICS_TOKEN="short"))


@pytest.mark.slow
def test_the_web_server_serves_with_its_workers_and_stops_on_sigterm(database_url):
    web = start_web(database_url, workers=2)
    statuses = {web.get("/readyz")[0] for _ in range(10)}
    assert statuses == {200}
    assert web.stop() == 0
    assert web.group_processes() == []


@pytest.mark.slow
def test_the_web_server_replaces_a_worker_that_dies(database_url):
    web = start_web(database_url, workers=2)
    first = {_worker_pid(line) for line in web.lines if '"worker ready"' in line}
    os.kill(first.pop(), signal.SIGKILL)
    web.wait_for_workers(3)  # the replacement has built its app
    assert {web.get("/readyz")[0] for _ in range(10)} == {200}
    assert web.stop() == 0


def _worker_pid(line: str) -> int:
    return json.loads(line)["pid"]
