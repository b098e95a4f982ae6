"""`make run` end to end: the script it calls starts the web server and the scheduler for real.

Runs scripts/run-local (what `make run` runs once the virtualenv exists) against a throwaway SQLite
database on a free port, as a newcomer would, and stops it with Ctrl-C (SIGINT to its group).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from tests.processes import BIN, ROOT, WebProcess, free_port

pytestmark = pytest.mark.slow

METRICS_TOKEN = "make-run-metrics-0123456789"


@pytest.fixture
def make_run(tmp_path):
    """Start scripts/run-local over one database; call again for a second run over the same one."""

    def start() -> WebProcess:
        port = free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("STATUSPAGE_")}
        env.update(
            PORT=str(port),
            VENV_BIN=str(BIN),
            STATUSPAGE_DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
            STATUSPAGE_METRICS_TOKEN=METRICS_TOKEN,
        )
        run = WebProcess([str(ROOT / "scripts" / "run-local")], port=port, env=env)
        run.wait_until_serving(timeout=90)
        run.wait_for_workers(2)  # scripts/run-local starts two
        return run

    return start


def test_make_run_serves_the_app_and_runs_the_scheduler_until_ctrl_c(make_run):
    run = make_run()
    assert "Password (shown once): " in run.wait_for_line("Password (shown once)")
    assert run.url in run.wait_for_line("statuspage is running at")
    status, _, body = run.get("/readyz")
    assert (status, json.loads(body)) == (200, {"database": "ok", "status": "ok"})
    assert run.get("/")[0] == 200
    assert run.get("/metrics")[0] == 401
    metrics = run.get("/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})[2].decode()
    assert (
        'statuspage_http_requests_total{endpoint="health.healthz",method="GET",status="200"}'
        in (metrics)
    )
    run.wait_for_line('"message": "scheduler started"')
    run.wait_for_line('"job": "purge-login-failures"')
    commands = run.group_processes()
    assert any("statuspage serve" in command for command in commands)
    assert any("statuspage scheduler" in command for command in commands)

    run.stop(signal.SIGINT)
    time.sleep(0.5)
    assert run.group_processes() == []


def test_every_log_line_of_the_servers_is_one_json_object(make_run):
    run = make_run()
    run.get("/no-such-page")
    run.wait_for_line('"path": "/no-such-page"')
    run.stop(signal.SIGINT)
    logs = [line for line in run.lines if line.startswith("{")]
    assert len(logs) > 10
    for line in logs:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(record)


def test_a_second_run_keeps_the_admin_and_the_data(make_run):
    make_run().stop(signal.SIGINT)
    second = make_run()
    second.wait_for_line("statuspage is running at")
    assert any("already exists" in line for line in second.lines)
    assert any("demo data not loaded" in line for line in second.lines)
    assert not any("shown once" in line for line in second.lines)
    second.stop(signal.SIGINT)


def test_commands_run_later_in_the_checkout_need_no_variables(make_run, tmp_path):
    make_run().stop(signal.SIGINT)
    # A newcomer's shell: no STATUSPAGE_ENV, no secret key; only this test's own database.
    env = {key: value for key, value in os.environ.items() if not key.startswith("STATUSPAGE_")}
    env["STATUSPAGE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    flask = [str(BIN / "flask"), "--app", "statuspage"]
    for command in (
        ["set-password", "admin@example.com", "--generate-password"],
        ["create-user", "newcomer@example.com", "--role", "viewer", "--generate-password"],
    ):
        done = subprocess.run(
            flask + command,
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
