"""Real processes for tests: the web server, the scheduler, scripts, in their own process groups.

Each process's output (stdout and stderr) is collected line by line so a test can wait for a log
line and show everything when it fails. The `spawn` fixture (conftest) kills whatever is left.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from werkzeug.datastructures import Headers

from tests.helpers import TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parent.parent
# The tools of the environment running the tests: the Makefile's virtualenv, tox, nox, a distro's.
BIN = Path(sys.executable).parent
# Every process started by a test, so the `reap_processes` fixture can kill what a test left.
RUNNING: list[ManagedProcess] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of an app process: production mode with a test key, this database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("STATUSPAGE_")}
    env.update(
        STATUSPAGE_ENV="production",
        STATUSPAGE_SECRET_KEY=TEST_SECRET_KEY,
        STATUSPAGE_DATABASE_URL=database_url,
        # Admins' second factor is test_second_factor's; elsewhere a password signs anyone in.
        STATUSPAGE_SECOND_FACTOR_ROLES="[]",
    )
    env.update({f"STATUSPAGE_{key}": value for key, value in settings.items()})
    return env


class ManagedProcess:
    """A child process in its own session, its output collected in `lines`."""

    def __init__(self, args: Sequence[str], *, env: Mapping[str, str], cwd: Path = ROOT) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        RUNNING.append(self)
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def is_running(self) -> bool:
        return self.process.poll() is None

    def wait_for_line(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            time.sleep(0.1)
        raise AssertionError(f"no line with {text!r} within {timeout}s:\n{self.output}")

    def group_processes(self) -> list[str]:
        """Command lines of the processes still in this process's session."""
        found = subprocess.run(
            # -ww: whole command lines, however long the checkout's path (ps cuts at 80 columns).
            ["ps", "-ww", "-o", "args=", "-s", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        return [line for line in found.stdout.splitlines() if line.strip()]

    def signal_group(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Signal the whole group and wait; fails the test, with the output, if it hangs."""
        if self.is_running():
            self.signal_group(signum)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            left = "\n".join(self.group_processes())
            raise AssertionError(
                f"still running after {signum!r}:\n{left}\n\n{self.output}"
            ) from None

    def kill(self) -> None:
        if self.is_running():
            try:
                self.signal_group(signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()


class WebProcess(ManagedProcess):
    """A process serving HTTP on 127.0.0.1:`port`."""

    def __init__(self, args: Sequence[str], *, port: int, env: Mapping[str, str]) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        super().__init__(args, env=env)

    def get(
        self, path: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, Headers, bytes]:
        """GET a path: status, headers (names in any case, as HTTP has them) and body, for any
        status code."""
        request = urllib.request.Request(self.url + path, headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, Headers(answer.headers.items()), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, Headers(error.headers.items()), error.read()

    def wait_until_serving(self, path: str = "/healthz", timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.is_running():
                raise AssertionError(f"exited with {self.process.returncode}:\n{self.output}")
            try:
                if self.get(path)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"never served {path} within {timeout}s:\n{self.output}")

    def wait_for_workers(self, workers: int, timeout: float = 60) -> None:
        """Wait until every worker has built its app and can take a stop signal."""
        deadline = time.monotonic() + timeout
        while sum('"message": "worker ready"' in line for line in list(self.lines)) < workers:
            if time.monotonic() > deadline:
                raise AssertionError(f"{workers} workers never became ready:\n{self.output}")
            time.sleep(0.05)


def start_web(database_url: str, *, workers: int = 2, **settings: str) -> WebProcess:
    """The production web server (`flask --app statuspage serve`) over this database."""
    port = free_port()
    env = app_environment(database_url, BIND=f"127.0.0.1:{port}", **settings)
    env["WEB_CONCURRENCY"] = str(workers)
    # A worker still busy when a test stops the server is killed after this.
    env.setdefault("STATUSPAGE_GRACEFUL_TIMEOUT", "3")
    process = WebProcess([str(BIN / "flask"), "--app", "statuspage", "serve"], port=port, env=env)
    process.wait_until_serving()
    process.wait_for_workers(workers)
    return process


def start_scheduler(database_url: str, **settings: str) -> ManagedProcess:
    """The scheduler process (`flask --app statuspage scheduler`) over this database."""
    process = ManagedProcess(
        [str(BIN / "flask"), "--app", "statuspage", "scheduler"],
        env=app_environment(database_url, **settings),
    )
    process.wait_for_line('"message": "scheduler started"')
    return process


def kill_leftovers() -> None:
    """Kill every process a test started and did not stop."""
    while RUNNING:
        RUNNING.pop().kill()


SHIPPED_NGINX_CONF = ROOT / "deploy" / "nginx" / "statuspage.conf"


def nginx_conf(
    folder: Path,
    *,
    port: int,
    root: Path,
    app_url: str | None = None,
    workers: int | str = 1,
    server_block: Path = SHIPPED_NGINX_CONF,
) -> Path:
    """A whole nginx configuration in `folder` around the shipped server block (or another one in
    its shape), or (app_url None) nginx tuned for static files serving `root`: the ceiling the
    benchmark compares with."""
    if app_url is None:
        server = f"""server {{
    listen 127.0.0.1:{port};
    root {root};
    gzip_static on;
    open_file_cache max=10000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_errors on;
    location = / {{ try_files /index.html =404; }}
}}
"""
    else:
        server = (
            server_block.read_text()
            .replace("server 127.0.0.1:8000;", f"server {app_url.removeprefix('http://')};")
            .replace("listen 80;", f"listen 127.0.0.1:{port};")
            .replace("root /var/lib/statuspage/snapshot/current;", f"root {root};")
        )
    (folder / "statuspage.conf").write_text(server)
    # Workers run as root only when the tests do: pytest's temporary folders are private.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""{user}
worker_processes {workers};
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {folder}/client;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/statuspage.conf;
}}
"""
    )
    return conf


def start_nginx(conf: Path, port: int) -> WebProcess:
    """nginx in the foreground with this configuration, once it answers on `port`."""
    process = WebProcess(
        ["nginx", "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"],
        port=port,
        env=dict(os.environ),
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not process.is_running():
            raise AssertionError(f"nginx exited:\n{process.output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nginx never listened on {port}:\n{process.output}")
