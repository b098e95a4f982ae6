"""Maintenance windows: the list, and scheduling one with a message per audience."""

from __future__ import annotations

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.core.site import current_site
from statuspage.core.times import from_local
from statuspage.permissions import Permission
from statuspage.services import configuration
from statuspage.services.components import all_components
from statuspage.services.incidents import maintenance
from statuspage.services.incidents.lifecycle import recent_incidents
from statuspage.views.access import me, permission_required
from statuspage.views.admin.formdata import form_status, parse_int, submit_form
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import MaintenanceForm

routes = Routes()


@routes.get("/maintenance")
@permission_required(Permission.VIEW_CONSOLE)
def maintenance_list() -> str:
    windows = [i for i in recent_incidents() if i.is_maintenance]
    return render_template("admin/maintenance_list.html", windows=windows)


@routes.route("/maintenance/new", ["GET", "POST"])
@permission_required(Permission.MANAGE_MAINTENANCE)
def schedule_maintenance() -> str | Response | tuple[str, int]:
    form = MaintenanceForm()
    audiences = configuration.list_audiences()
    components = all_components()
    chosen = {parse_int(v) for v in request.form.getlist("components")}
    messages = {
        audience: request.form.get(f"audience-{audience.id}-body", "")
        for audience in audiences
        if request.form.get(f"audience-{audience.id}-send") == "on"
    }
    scheduled = submit_form(
        form,
        lambda: maintenance.plan_maintenance(
            title=form.title.data or "",
            scheduled_for=from_local(form.scheduled_for.data, current_site().zone),
            scheduled_until=from_local(form.scheduled_until.data, current_site().zone),
            components=[c for c in components if c.id in chosen],
            messages=messages,
            site=current_site(),
            by=me(),
            now=utcnow(),
        ),
        done=lambda window: (
            f"Scheduled: {window.title}.",
            url_for("admin.incident", incident_id=window.id),
        ),
    )
    if scheduled:
        return scheduled
    return render_template(
        "admin/maintenance_new.html",
        form=form,
        audiences=audiences,
        components=components,
        texts={a.id: request.form.get(f"audience-{a.id}-body", "") for a in audiences},
        chosen=chosen,
        sent={a.id for a in audiences if request.form.get(f"audience-{a.id}-send") == "on"}
        if request.method == "POST"
        else {a.id for a in audiences if a.is_public},
    ), form_status(form) if request.method == "POST" else 200
