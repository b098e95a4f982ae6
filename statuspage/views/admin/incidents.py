"""Incidents in the console: declare, look at one, change its details, status, components and
roster, its timeline with the scribe's notes, and the postmortem draft."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.core.site import current_site
from statuspage.core.times import parse_local_input
from statuspage.extensions import db
from statuspage.models import (
    Incident,
    IncidentStatus,
    MilestoneKind,
    NoteType,
    RosterRole,
    Severity,
    User,
)
from statuspage.models.enums import CLOSED_STATUSES, INCIDENT_STATUSES, MAINTENANCE_STATUSES
from statuspage.permissions import Permission, may_add_note, may_declare
from statuspage.services import accounts
from statuspage.services.cadence import channels
from statuspage.services.components import all_components
from statuspage.services.dashboards import IncidentConsole, incident_console
from statuspage.services.incidents import edits, milestones
from statuspage.services.incidents.attachments import attach_screenshots, attachments_by_note
from statuspage.services.incidents.lifecycle import get_incident, recent_incidents
from statuspage.services.incidents.postmortem import postmortem_markdown
from statuspage.services.incidents.rows import row_of, timeline_rows
from statuspage.services.outbox.chat import chat_hosts
from statuspage.views.access import me, permission_required, require
from statuspage.views.admin.attachments import uploads_in_request
from statuspage.views.admin.confirm import ask_first
from statuspage.views.admin.context import anyone_may_declare
from statuspage.views.admin.formdata import (
    component_changes,
    form_status,
    parse_int,
    parse_loaded_at,
    submit_form,
)
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import (
    DeclareForm,
    DetailsForm,
    NoteForm,
    RosterForm,
    StatusForm,
    options,
)

routes = Routes()

SINGLE_DUTIES = [role for role in RosterRole if role.is_single]


@routes.get("/incidents")
@permission_required(Permission.VIEW_CONSOLE)
def incidents() -> str:
    return render_template("admin/incidents.html", incidents=recent_incidents())


@routes.route("/incidents/new", ["GET", "POST"])
@permission_required(Permission.VIEW_CONSOLE)
def declare() -> str | BaseResponse | tuple[str, int]:
    require(may_declare(me(), anyone_may=anyone_may_declare()))
    form = DeclareForm()
    users = [u for u in accounts.list_users() if u.is_active]
    declared = submit_form(
        form,
        lambda: edits.declare(
            title=form.title.data or "",
            public_title=form.public_title.data,
            severity=Severity(form.severity.data),
            components=component_changes(request.form),
            roster=_roster_from(request.form, users),
            by=me(),
            now=utcnow(),
        ),
        done=lambda incident: (
            f"Declared {incident.severity}: {incident.title}. Now tell people.",
            url_for("admin.compose", incident_id=incident.id),
        ),
    )
    if declared:
        return declared
    return render_template(
        "admin/declare.html",
        form=form,
        components=all_components(),
        users=users,
        duties=SINGLE_DUTIES,
        chosen=request.form,
        me=me(),
    ), form_status(form)


def _roster_from(form: MultiDict[str, str], users: list[User]) -> list[tuple[RosterRole, User]]:
    by_id = {user.id: user for user in users}
    roster = []
    for role in SINGLE_DUTIES:
        user_id = parse_int(form.get(f"roster-{role}"))
        if user_id is not None:
            if user_id not in by_id:
                raise ValidationError(f"Pick an active person as {role.label.lower()}.")
            roster.append((role, by_id[user_id]))
    for value in form.getlist("roster-expert"):
        user_id = parse_int(value)
        if user_id in by_id:
            roster.append((RosterRole.EXPERT, by_id[user_id]))
    return roster


@routes.get("/incidents/<int:incident_id>")
@permission_required(Permission.VIEW_CONSOLE)
def incident(incident_id: int) -> str:
    return _incident_page(incident_id)


def _incident_page(
    incident_id: int, *, stale: edits.StaleIncident | None = None, error: str | None = None
) -> str:
    now = utcnow()
    page = incident_console(
        incident_id,
        user=me(),
        now=now,
        checkin_intervals=current_app.config["CHECKIN_INTERVALS"],
    )
    return render_template(
        "admin/incident.html",
        **vars(page),
        **_incident_forms(page, loaded_at=now.isoformat()),
        milestones=milestones.milestones_of(page.incident),
        stale=stale,
        error=error,
        now=now,
    )


def _incident_forms(page: IncidentConsole, *, loaded_at: str) -> dict[str, FlaskForm]:
    """The page's forms, filled from the incident as loaded (never from the request)."""
    incident = page.incident
    versioned = {"formdata": None, "version": incident.version, "loaded_at": loaded_at}
    statuses = MAINTENANCE_STATUSES if incident.is_maintenance else INCIDENT_STATUSES
    status_form = StatusForm(**versioned)
    # The current status comes first and is chosen: the form never moves an incident by default.
    status_form.status.choices = options(
        (s.value, f"{s.label} (now)" if s is incident.status else s.label)
        for s in sorted(statuses, key=lambda s: s is not incident.status)
    )
    status_form.status.data = incident.status.value
    roster_form = RosterForm(**versioned)
    roster_form.user_id.choices = options([(u.id, f"{u.name} ({u.role})") for u in page.people])
    return {
        "details": DetailsForm(obj=incident, severity=str(incident.severity or ""), **versioned),
        "status_form": status_form,
        "roster_form": roster_form,
        "note_form": NoteForm(formdata=None),
    }


def _versioned_change(
    incident_id: int, change: Callable[..., str]
) -> BaseResponse | tuple[str, int]:
    """Run one versioned edit: commit and go back, or show the conflict or the problem."""
    incident = get_incident(incident_id)
    version = parse_int(request.form.get("version"))
    loaded_at = parse_loaded_at(request.form.get("loaded_at"))
    try:
        message = change(incident, version=version, loaded_at=loaded_at, by=me(), now=utcnow())
    except edits.StaleIncident as stale:
        db.session.rollback()
        return _incident_page(incident_id, stale=stale), 409
    except ValidationError as error:
        db.session.rollback()
        return _incident_page(incident_id, error=str(error)), 422
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.incident", incident_id=incident_id))


@routes.post("/incidents/<int:incident_id>/details")
@permission_required(Permission.MANAGE_INCIDENTS)
def edit_details(incident_id: int) -> BaseResponse | tuple[str, int]:
    form = request.form
    severity = form.get("severity") or None

    def change(incident: Incident, **kwargs: Any) -> str:
        edits.edit_details(
            incident,
            title=form.get("title", ""),
            public_title=form.get("public_title"),
            severity=_severity(severity),
            **kwargs,
        )
        return "Details saved."

    return _versioned_change(incident_id, change)


def _severity(value: str | None) -> Severity | None:
    try:
        return Severity(value) if value else None
    except ValueError as error:
        raise ValidationError(f"{value!r} is not a severity.", field="severity") from error


@routes.post("/incidents/<int:incident_id>/chat-hook")
@permission_required(Permission.MANAGE_INCIDENTS)
def set_chat_hook(incident_id: int) -> BaseResponse | tuple[str, int]:
    incident = get_incident(incident_id)
    try:
        channels.set_incident_hook(
            incident,
            request.form.get("chat_hook_kind"),
            request.form.get("chat_hook_url"),
            by=me(),
            now=utcnow(),
            chat_hosts=chat_hosts(current_app.config),
        )
    except ValidationError as error:
        db.session.rollback()
        return _incident_page(incident_id, error=str(error)), 422
    db.session.commit()
    flash("Chat channel saved." if incident.chat_hook_url else "Chat channel removed.", "success")
    return redirect(url_for("admin.incident", incident_id=incident_id))


@routes.post("/incidents/<int:incident_id>/status")
@permission_required(Permission.MANAGE_INCIDENTS)
def set_status(incident_id: int) -> BaseResponse | tuple[str, int]:
    value = request.form.get("status", "")
    if value in CLOSED_STATUSES and (
        asking := ask_first(
            f"{IncidentStatus(value).label} now?",
            "Its promises of next updates end and it leaves the open incidents. No audience is "
            "told by this: write them an update to say it.",
            verb=f"Yes, mark it {IncidentStatus(value).label.lower()}",
            cancel=url_for("admin.incident", incident_id=incident_id),
        )
    ):
        return asking

    def change(incident: Incident, **kwargs: Any) -> str:
        try:
            status = IncidentStatus(value)
        except ValueError as error:
            raise ValidationError(f"{value!r} is not a status.", field="status") from error
        edits.set_status(incident, status, **kwargs)
        return f"Status set to {status.label}. Tell the audiences: compose an update."

    return _versioned_change(incident_id, change)


@routes.post("/incidents/<int:incident_id>/components")
@permission_required(Permission.MANAGE_INCIDENTS)
def set_components(incident_id: int) -> BaseResponse | tuple[str, int]:
    def change(incident: Incident, **kwargs: Any) -> str:
        made = edits.set_components(incident, component_changes(request.form), **kwargs)
        return f"Changed {len(made)} component{'s' if len(made) != 1 else ''}."

    return _versioned_change(incident_id, change)


@routes.post("/incidents/<int:incident_id>/roster")
@permission_required(Permission.MANAGE_INCIDENTS)
def assign(incident_id: int) -> BaseResponse | tuple[str, int]:
    def change(incident: Incident, **kwargs: Any) -> str:
        user_id = parse_int(request.form.get("user_id"))
        try:
            role = RosterRole(request.form.get("role", ""))
            user = accounts.get_user(user_id or 0)
        except ValueError as error:
            raise ValidationError("Pick a duty and a person.") from error
        edits.assign(incident, user, role, **kwargs)
        return f"{user.name} is now {role.label.lower()}."

    return _versioned_change(incident_id, change)


@routes.post("/incidents/<int:incident_id>/roster/<int:assignment_id>/remove")
@permission_required(Permission.MANAGE_INCIDENTS)
def unassign(incident_id: int, assignment_id: int) -> BaseResponse | tuple[str, int]:
    incident = get_incident(incident_id)
    removed = next((a for a in incident.roster if a.id == assignment_id), None)
    if removed is not None and (
        asking := ask_first(
            f"Remove {removed.user.name} as {removed.role.label.lower()}?",
            "The incident will have no commander until you name another: nobody is escalated "
            "to when a promised update is missed."
            if removed.role is RosterRole.COMMANDER
            else f"{removed.user.name} is no longer told of this incident's duties.",
            verb="Yes, remove",
            cancel=url_for("admin.incident", incident_id=incident_id),
        )
    ):
        return asking

    def change(incident: Incident, **kwargs: Any) -> str:
        edits.unassign(incident, assignment_id, **kwargs)
        return "Removed from the roster."

    return _versioned_change(incident_id, change)


@routes.post("/incidents/<int:incident_id>/milestones")
@permission_required(Permission.MANAGE_INCIDENTS)
def set_milestone(incident_id: int) -> BaseResponse | tuple[str, int]:
    def change(incident: Incident, **kwargs: Any) -> str:
        try:
            kind = MilestoneKind(request.form.get("kind", ""))
        except ValueError as error:
            raise ValidationError("Pick a milestone.", field="kind") from error
        at = parse_local_input(request.form.get("at"), current_site().zone, field="at")
        milestones.set_milestone(incident, kind, at, **kwargs)
        return f"{kind.label} set."

    return _versioned_change(incident_id, change)


@routes.get("/incidents/<int:incident_id>/timeline")
@permission_required(Permission.VIEW_CONSOLE)
def timeline(incident_id: int) -> str:
    return _timeline_page(get_incident(incident_id), NoteForm(formdata=None))


def _timeline_page(incident: Incident, note_form: NoteForm) -> str:
    every_row = request.args.get("all") == "1"
    events = edits.timeline(incident)
    return render_template(
        "admin/timeline.html",
        incident=incident,
        rows=timeline_rows(events) if not every_row else [row_of(e) for e in events],
        every_row=every_row,
        note_form=note_form,
        note_types=list(NoteType),
        may_note=may_add_note(me(), incident),
        screenshots=attachments_by_note(incident.id),
    )


@routes.post("/incidents/<int:incident_id>/notes")
@permission_required(Permission.VIEW_CONSOLE)
def add_note(incident_id: int) -> BaseResponse | tuple[str, int]:
    incident = get_incident(incident_id)
    form = NoteForm()
    try:
        now = utcnow()
        note = edits.add_note(
            incident,
            form.text.data or "",
            note_type=_note_type(request.form.get("note_type")),
            at=parse_local_input(request.form.get("at"), current_site().zone, field="when"),
            by=me(),
            now=now,
        )
        attach_screenshots(note, uploads_in_request(), now=now)
    except ValidationError as error:
        # Shown again with the text as typed, so a note too long to keep is not lost.
        db.session.rollback()
        form.text.errors = [str(error)]
        return _timeline_page(incident, form), 422
    db.session.commit()
    flash("Note added to the timeline.", "success")
    return redirect(url_for("admin.timeline", incident_id=incident_id) + "#latest")


def _note_type(value: str | None) -> NoteType:
    try:
        return NoteType(value) if value else NoteType.OBSERVATION
    except ValueError as error:
        raise ValidationError(f"{value!r} is not a kind of note.", field="note_type") from error


@routes.get("/incidents/<int:incident_id>/postmortem.md")
@permission_required(Permission.VIEW_CONSOLE)
def postmortem(incident_id: int) -> Response:
    incident = get_incident(incident_id)
    document = postmortem_markdown(incident, site=current_site(), now=utcnow())
    return Response(
        document,
        mimetype="text/markdown",
        headers={
            "Content-Disposition": f'attachment; filename="postmortem-incident-{incident.id}.md"'
        },
    )
