"""The management API, Statuspage v1's shapes under /api/v1 (a Statuspage client is pointed at
`<site>/api` instead of `https://api.statuspage.io`): one blueprint, with the routes of one module
per area, each served with and without `.json`. Key authentication only (no session, no CSRF);
errors are `{"error": "..."}` as Statuspage answers; requests are limited per key
(STATUSPAGE_API_RATE_LIMIT; 429 with Retry-After); every write leaves an audit entry naming the key.
"""

from __future__ import annotations

import math
import time
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app
from werkzeug.exceptions import HTTPException

from statuspage.core.errors import DomainError, NotFound
from statuspage.extensions import csrf, db, limiter
from statuspage.views.api_v1 import (
    access,
    components,
    extras,
    incidents,
    messages,
    pages,
    reference,
    review,
    shapes,
    subscribers,
)

AREAS = (pages, components, incidents, subscribers, extras, review, messages)
bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
for area in AREAS:
    area.routes.register(bp)
reference.register(bp, [operation for area in AREAS for operation, _ in area.routes.operations])
csrf.exempt(bp)
bp.before_request(access.authenticate)
bp.after_request(access.audit_write)


def _rate_limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


limiter.limit(_rate_limit, key_func=access.rate_limit_key)(bp)


@bp.url_value_preprocessor
def _one_page(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # There is one page: another page's id is a page that is not here.
    if values is not None and values.pop("page_id", shapes.the_page_id()) != shapes.the_page_id():
        raise NotFound("There is no such page here.")


def _answer(status: int, message: str, headers: dict[str, str] | None = None) -> Any:
    return {"error": message}, status, headers or {}


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Any:
    db.session.rollback()
    retry_after = getattr(error, "retry_after", None)
    return _answer(
        error.status_code, str(error), {"Retry-After": str(retry_after)} if retry_after else None
    )


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Any:
    db.session.rollback()
    status = error.code or 500
    headers = {}
    if status == 429:
        headers["Retry-After"] = str(_seconds_to_reset())
        message = "Rate limit exceeded: wait before the next request."
    else:
        message = error.description or ""
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return _answer(status, message, headers)


def _seconds_to_reset() -> int:
    limit = limiter.current_limit
    reset_at = limit.reset_at if limit is not None else time.time() + 1
    return max(1, math.ceil(reset_at - time.time()))


@bp.errorhandler(sa.exc.IntegrityError)
def _clash(error: sa.exc.IntegrityError) -> Any:
    db.session.rollback()
    return _answer(409, "That clashes with what is already saved (a duplicate name?).")


@bp.errorhandler(sa.exc.DataError)
def _unstorable(error: sa.exc.DataError) -> Any:
    db.session.rollback()
    return _answer(400, "A value is out of the range this site can store.")
