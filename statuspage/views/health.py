"""Liveness, readiness and metrics for whatever runs the app.

Liveness and readiness are open (they say nothing but "up"); metrics need the operator's token,
since their counters would tell anyone what the console is doing.
"""

from __future__ import annotations

import hmac
import logging

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, request
from werkzeug.wrappers import Response

from statuspage.core.telemetry import metrics_response
from statuspage.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    return {"status": "ok"}, 200


@bp.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        log.warning("database unreachable", extra={"error": str(error).splitlines()[0]})
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200


@bp.get("/metrics")
def metrics() -> Response | tuple[str, int, dict[str, str]]:
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    credentials = request.authorization
    given = credentials.token if credentials and credentials.type == "bearer" else None
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        return "A bearer token is required.\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'}
    return metrics_response(current_app.config["METRICS_MULTIPROC_DIR"])
