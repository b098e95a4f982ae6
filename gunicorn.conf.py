"""gunicorn settings shared by `make run` and the Docker image; the command line may override them."""

import os
import shutil

bind = os.environ.get("STATUSPAGE_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
# Load the app once in the master: workers start at once (a worker still importing the app when a
# stop signal arrives would hold shutdown up for graceful_timeout) and import errors fail fast.
preload_app = True
graceful_timeout = 20
accesslog = None  # the app logs one line per request itself
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "statuspage.core.telemetry.json_formatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
}


def on_starting(server):
    # Metrics from workers of an earlier run would be summed into this one's.
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def post_fork(server, worker):
    # The master never connects, but a pool inherited across fork must never be shared.
    from statuspage.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)


def post_worker_init(worker):
    # Snapshot mode (STATUSPAGE_SNAPSHOT_DIR): every worker offers to keep the host's snapshot
    # folder current; one holds the folder's lock and does it, another takes over if it dies.
    from statuspage.publicsite.snapshot import start_in_background

    start_in_background(worker.app.wsgi())

    # Until a worker has installed its own signal handlers, a stop signal sent to it is lost and
    # the master waits graceful_timeout for it: whoever stops the server soon after start (tests,
    # deploy scripts) can wait for one of these lines per worker first.
    worker.log.info("worker ready", extra={"pid": worker.pid})


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
