"""The liaison console."""

from __future__ import annotations

from flask import Blueprint, render_template

from statuspage.permissions import Permission
from statuspage.services.incidents import list_open_incidents
from statuspage.views.access import permission_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@permission_required(Permission.VIEW_CONSOLE)
def dashboard() -> str:
    return render_template("admin/dashboard.html", incidents=list_open_incidents())
