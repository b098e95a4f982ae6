"""`make run` end to end: the script it calls starts the web server and the scheduler for real.

Runs scripts/run-local (what `make run` runs once the virtualenv exists) against a throwaway SQLite
database on a free port, as a newcomer would, and stops it with Ctrl-C (SIGINT to its group).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalRun:
    """scripts/run-local in its own process group, with its output collected line by line."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("STATUSPAGE_")}
        env.update(
            PORT=str(self.port),
            STATUSPAGE_DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        )
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "run-local")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def wait_until_serving(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "\n".join(self.lines)
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError("never served /healthz:\n" + "\n".join(self.lines))

    def wait_for_line(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            time.sleep(0.2)
        raise AssertionError(f"no line with {text!r}:\n" + "\n".join(self.lines))

    def processes(self) -> list[str]:
        """Command lines of the processes still in the run's session."""
        found = subprocess.run(
            ["ps", "-o", "args=", "-s", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        return [line for line in found.stdout.splitlines() if line.strip()]

    def stop_with_ctrl_c(self, timeout: float = 10) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            still_running = "\n".join(self.processes())
            raise AssertionError(
                f"still running after Ctrl-C:\n{still_running}\n\n" + "\n".join(self.lines)
            ) from None

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def local_run(tmp_path):
    runs: list[LocalRun] = []

    def start() -> LocalRun:
        run = LocalRun(tmp_path)
        runs.append(run)
        run.wait_until_serving()
        return run

    yield start
    for run in runs:
        run.kill()


def test_make_run_serves_the_app_and_runs_the_scheduler_until_ctrl_c(local_run):
    run = local_run()
    assert "Password (shown once): " in run.wait_for_line("Password (shown once)")
    assert f"http://127.0.0.1:{run.port}" in run.wait_for_line("statuspage is running at")
    status, body = run.get("/readyz")
    assert (status, json.loads(body)) == (200, {"database": "ok", "status": "ok"})
    assert run.get("/")[0] == 200
    metrics = run.get("/metrics")[1]
    assert (
        'statuspage_http_requests_total{endpoint="health.healthz",method="GET",status="200"}'
        in (metrics)
    )
    run.wait_for_line('"message": "scheduler started"')
    run.wait_for_line('"job": "purge-login-failures"')
    commands = run.processes()
    assert any("gunicorn" in command for command in commands)
    assert any("statuspage scheduler" in command for command in commands)

    run.stop_with_ctrl_c()
    time.sleep(0.5)
    assert run.processes() == []


def test_every_log_line_of_the_servers_is_one_json_object(local_run):
    run = local_run()
    run.get("/no-such-page")
    run.wait_for_line('"path": "/no-such-page"')
    run.stop_with_ctrl_c()
    logs = [line for line in run.lines if line.startswith("{")]
    assert len(logs) > 10
    for line in logs:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(record)


def test_a_second_run_keeps_the_admin_and_the_data(local_run):
    first = local_run()
    first.stop_with_ctrl_c()
    second = local_run()
    second.wait_for_line("statuspage is running at")
    assert any("already exists" in line for line in second.lines)
    assert any("demo data not loaded" in line for line in second.lines)
    assert not any("shown once" in line for line in second.lines)
    second.stop_with_ctrl_c()
