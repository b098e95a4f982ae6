"""The public status page."""

from __future__ import annotations

from flask import Blueprint, render_template

from statuspage.services.components import list_components
from statuspage.services.incidents import list_open_incidents

bp = Blueprint("public", __name__)


@bp.get("/")
def index() -> str:
    return render_template(
        "public/index.html",
        listings=list_components(include_internal=False),
        open_incident_count=len(list_open_incidents()),
    )
