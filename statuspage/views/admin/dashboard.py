"""The console's front page: what needs attention now."""

from __future__ import annotations

from flask import render_template

from statuspage.permissions import Permission
from statuspage.services.incidents import list_open_incidents
from statuspage.views.access import permission_required
from statuspage.views.admin import bp


@bp.get("/")
@permission_required(Permission.VIEW_CONSOLE)
def dashboard() -> str:
    return render_template("admin/dashboard.html", incidents=list_open_incidents())
