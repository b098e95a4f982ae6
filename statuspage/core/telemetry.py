"""What the app tells its operators: one JSON log line per event, and Prometheus metrics."""

from __future__ import annotations

import logging
import sys
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from pythonjsonlogger.json import JsonFormatter

log = logging.getLogger("statuspage.request")

REQUESTS = Counter(
    "statuspage_http_requests_total",
    "HTTP requests answered, by endpoint, method and status code.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "statuspage_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint.",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def json_formatter() -> logging.Formatter:
    """Log records as one JSON object per line (tracebacks included, escaped)."""
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


def configure_logging(level: str) -> None:
    """Send every logger's records to stderr as JSON lines; calling it twice changes nothing."""
    root = logging.getLogger()
    # The web server's logging configuration (statuspage/serving.py) may have installed one already.
    if not any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(json_formatter())
        root.addHandler(handler)
    root.setLevel(level)


def init_app(app: Flask) -> None:
    """Time, count and log every request."""
    app.before_request(_start_timer)
    app.after_request(_observe)


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("request_started", None)
    if started is None:
        return response
    elapsed = time.perf_counter() - started
    # The rule's endpoint name, never the raw path, keeps the label set small.
    endpoint = request.endpoint or "unmatched"
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    LATENCY.labels(endpoint).observe(elapsed)
    log.info(
        "request",
        extra={
            "method": request.method,
            "path": _loggable_path(),
            "endpoint": endpoint,
            "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 2),
            "remote_addr": request.remote_addr,
        },
    )
    return response


def metrics_response(multiprocess_dir: str | None) -> Response:
    """The Prometheus text exposition, gathered from every worker when several share a folder."""
    registry = REGISTRY
    if multiprocess_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _loggable_path() -> str:
    """The request path with secrets carried in the URL (internal feed tokens) blanked out."""
    path = request.path
    token = (request.view_args or {}).get("token")
    return path.replace(token, "<token>") if token else path
