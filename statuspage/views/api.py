"""The public JSON API: Statuspage API v2 documents under /api/v2, open to every origin (CORS)."""

from __future__ import annotations

from flask import Blueprint, Response

from statuspage.core.addresses import API_DOCUMENTS
from statuspage.core.clock import utcnow
from statuspage.core.errors import NotFound
from statuspage.publicsite import render
from statuspage.publicsite.cache import serve

bp = Blueprint("api", __name__, url_prefix="/api/v2")


@bp.get("/<path:document>.json")
def document(document: str) -> Response:
    if document not in API_DOCUMENTS:
        raise NotFound(f"There is no /api/v2/{document}.json.")
    return serve(("api", document), lambda: render.api(document, now=utcnow()))
