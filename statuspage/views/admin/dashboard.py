"""The console's front page: what needs attention now."""

from __future__ import annotations

from flask import render_template

from statuspage.core.clock import utcnow
from statuspage.permissions import Permission
from statuspage.services.dashboards import dashboard as build_dashboard
from statuspage.views.access import me, permission_required
from statuspage.views.admin.routing import Routes

routes = Routes()


@routes.get("/")
@permission_required(Permission.VIEW_CONSOLE)
def dashboard() -> str:
    return render_template("admin/dashboard.html", board=build_dashboard(me()), now=utcnow())
