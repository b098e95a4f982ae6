"""Liveness, readiness and metrics for whatever runs the app."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app
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
def metrics() -> Response:
    return metrics_response(current_app.config["METRICS_MULTIPROC_DIR"])
