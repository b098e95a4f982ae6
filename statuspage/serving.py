"""The production web server: granian running the app in worker processes (`flask serve`).

`make run` and the Docker image start it. It serves on BIND with WEB_CONCURRENCY worker
processes, each running the app (statuspage.worker_app) on WEB_THREADS threads; it restarts a
worker that dies, stops gracefully on SIGTERM or SIGINT (a worker still busy after
GRACEFUL_TIMEOUT seconds is killed), and logs JSON lines like the app.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from flask import Flask

WORKER_FACTORY = "statuspage:worker_app"


def logging_config(level: str) -> dict[str, Any]:
    """Every logger, granian's own included, as JSON lines on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "statuspage.core.telemetry.json_formatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "_granian": {"level": level, "handlers": ["stderr"], "propagate": False},
        },
    }


def host_and_port(bind: str) -> tuple[str, int]:
    """`127.0.0.1:8000`, `[::1]:8000` or `:8000` (every address) as a host and a port."""
    host, colon, port = bind.rpartition(":")
    if not colon or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"STATUSPAGE_BIND must be HOST:PORT, not {bind!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def serve(app: Flask) -> None:
    """Serve until stopped, with the settings of this app's configuration."""
    # Imported here: granian is only needed by the process that serves.
    from granian.constants import Interfaces
    from granian.server import Server

    config = app.config
    host, port = host_and_port(str(config["BIND"]))
    metrics = config.get("METRICS_MULTIPROC_DIR")
    if metrics:
        # Counts left by the workers of an earlier run would be added to this one's.
        shutil.rmtree(metrics, ignore_errors=True)
        os.makedirs(metrics, exist_ok=True)
    Server(
        WORKER_FACTORY,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        websockets=False,
        factory=True,
        workers=int(config["WEB_CONCURRENCY"]),
        blocking_threads=int(config["WEB_THREADS"]),
        respawn_failed_workers=True,
        respawn_interval=1.0,
        workers_kill_timeout=int(config["GRACEFUL_TIMEOUT"]),
        log_dictconfig=logging_config(str(config["LOG_LEVEL"])),
        log_access=False,  # the app logs one line per request itself
    ).serve()
