"""Maintenance windows: the list, scheduling one (or a weekly or daily series) with a message per
audience, editing or moving one before it starts, cancelling it, and extending or completing one
underway. Times are typed on the page zone's clock, 24-hour."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.core.errors import InvalidTransition
from statuspage.core.site import current_site
from statuspage.core.times import wall_clock_input
from statuspage.extensions import db
from statuspage.models import Incident, IncidentStatus
from statuspage.permissions import Permission
from statuspage.services import configuration
from statuspage.services.components import all_components
from statuspage.services.incidents import windows
from statuspage.services.incidents.lifecycle import recent_incidents
from statuspage.views.access import me, permission_required
from statuspage.views.admin.confirm import ask_first
from statuspage.views.admin.formdata import form_status, parse_int, submit_form
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import MaintenanceEditForm, MaintenanceExtendForm, MaintenanceForm

routes = Routes()
Answer = str | Response | tuple[str, int]


@routes.get("/maintenance")
@permission_required(Permission.VIEW_CONSOLE)
def maintenance_list() -> str:
    listed = [i for i in recent_incidents() if i.is_maintenance]
    return render_template("admin/maintenance_list.html", windows=listed)


@routes.route("/maintenance/new", ["GET", "POST"])
@permission_required(Permission.MANAGE_MAINTENANCE)
def schedule_maintenance() -> Answer:
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
        lambda: windows.plan_series(
            title=form.title.data or "",
            scheduled_for=form.scheduled_for.instant,
            scheduled_until=form.scheduled_until.instant,
            repeat=windows.Repeat(form.repeat.data, form.occurrences.data or 1)
            if form.repeat.data
            else None,
            components=[c for c in components if c.id in chosen],
            messages=messages,
            site=current_site(),
            by=me(),
            now=utcnow(),
        ),
        done=_scheduled,
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


def _scheduled(series: list[Incident]) -> tuple[str, str]:
    first = series[0]
    if len(series) == 1:
        return f"Scheduled: {first.title}.", url_for("admin.incident", incident_id=first.id)
    return f"Scheduled {len(series)} windows: {first.title}.", url_for("admin.maintenance_list")


@routes.route("/maintenance/<int:window_id>/edit", ["GET", "POST"])
@permission_required(Permission.MANAGE_MAINTENANCE)
def edit_maintenance(window_id: int) -> Answer:
    window = windows.get_window(window_id)
    if window.status in windows.UNDERWAY:
        return _extend(window)
    if window.status is not IncidentStatus.SCHEDULED:
        raise InvalidTransition(f"A {window.status.label.lower()} window cannot be rescheduled.")
    zone = current_site().zone
    form = MaintenanceEditForm(
        data={
            "title": window.title,
            "scheduled_for": wall_clock_input(window.scheduled_for, zone),
            "scheduled_until": wall_clock_input(window.scheduled_until, zone),
        }
    )
    done = submit_form(
        form,
        lambda: windows.reschedule_window(
            window,
            title=form.title.data or "",
            starts=form.scheduled_for.instant,
            ends=form.scheduled_until.instant,
            note=form.note.data or "",
            site=current_site(),
            by=me(),
            now=utcnow(),
        ),
        done=lambda moved: (
            "Rescheduled; the audiences were told." if moved else "Saved.",
            url_for("admin.incident", incident_id=window_id),
        ),
    )
    return done or _edit_page(window, form)


def _extend(window: Incident) -> Answer:
    zone = current_site().zone
    form = MaintenanceExtendForm(
        data={"scheduled_until": wall_clock_input(window.scheduled_until, zone)}
    )
    done = submit_form(
        form,
        lambda: windows.extend_window(
            window,
            ends=form.scheduled_until.instant,
            note=form.note.data or "",
            site=current_site(),
            by=me(),
            now=utcnow(),
        ),
        done=lambda w: (
            "Extended; the audiences were told.",
            url_for("admin.incident", incident_id=w.id),
        ),
    )
    return done or _edit_page(window, form)


def _edit_page(window: Incident, form: MaintenanceEditForm | MaintenanceExtendForm) -> Answer:
    return render_template(
        "admin/maintenance_edit.html",
        window=window,
        form=form,
        underway=window.status in windows.UNDERWAY,
    ), form_status(form) if request.method == "POST" else 200


@routes.post("/maintenance/<int:window_id>/cancel")
@permission_required(Permission.MANAGE_MAINTENANCE)
def cancel_maintenance(window_id: int) -> Answer:
    window = windows.get_window(window_id)
    asking = ask_first(
        f"Cancel “{window.title}”?",
        "Every audience told of it hears that it is cancelled; it leaves upcoming maintenance "
        "and no reminder goes. A cancelled window cannot be planned again: schedule a new one.",
        verb="Yes, cancel the window",
        cancel=url_for("admin.edit_maintenance", window_id=window_id),
    )
    if asking:
        return asking
    windows.cancel_window(
        window, note=request.form.get("note", ""), site=current_site(), by=me(), now=utcnow()
    )
    return _committed("Cancelled; the audiences were told.", window_id)


@routes.post("/maintenance/<int:window_id>/complete")
@permission_required(Permission.MANAGE_MAINTENANCE)
def complete_maintenance(window_id: int) -> Answer:
    window = windows.get_window(window_id)
    asking = ask_first(
        f"Complete “{window.title}” now?",
        "The window ends now, before its planned end, and every audience told of it hears so.",
        verb="Yes, complete it now",
        cancel=url_for("admin.edit_maintenance", window_id=window_id),
    )
    if asking:
        return asking
    windows.complete_window(window, site=current_site(), by=me(), now=utcnow())
    return _committed("Completed; the audiences were told.", window_id)


def _committed(message: str, window_id: int) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.incident", incident_id=window_id))
