"""Writing updates: compose one for every audience, work on a draft (edit, review, publish), and
the preview the forms use while typing."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.core.markdown import markdown_to_html
from statuspage.core.times import local_input, parse_local_input
from statuspage.extensions import db
from statuspage.models import IncidentStatus, Update
from statuspage.models.enums import INCIDENT_STATUSES, MAINTENANCE_STATUSES
from statuspage.permissions import Permission, may_approve, may_write_to
from statuspage.services.cadence import promises
from statuspage.services.incidents import compose as composing
from statuspage.services.incidents import edits, publishing
from statuspage.services.incidents.lifecycle import get_incident
from statuspage.views.access import permission_required
from statuspage.views.admin import bp
from statuspage.views.admin.helpers import (
    all_components,
    component_changes,
    me,
    parse_int,
    parse_loaded_at,
    require,
    site,
)
from statuspage.views.forms import DraftForm

ACTIONS = {
    action.value: action for action in composing.Action if action is not composing.Action.DISCARD
}


@bp.route("/incidents/<int:incident_id>/compose", methods=["GET", "POST"])
@permission_required(Permission.WRITE_UPDATES)
def compose(incident_id: int) -> str | Response | tuple[str, int]:
    incident = get_incident(incident_id)
    user, now, form = me(), utcnow(), request.form
    statuses = MAINTENANCE_STATUSES if incident.is_maintenance else INCIDENT_STATUSES
    status = _status(form.get("status"), default=incident.status)
    changes = component_changes(form)
    facts = form.get("facts", "")
    drafts = composing.prepare_drafts(
        incident,
        status=status,
        facts=facts,
        component_changes=changes,
        user=user,
        site=site(),
        now=now,
    )
    require(any(d.may_write for d in drafts))
    errors: list[str] = []
    stale = None
    late_promise = None  # the audience whose promise only a commander or admin may make
    action = ACTIONS.get(form.get("action", ""))
    if request.method == "POST" and form.get("action") != "draft":
        # The person's own texts win over the template's once they have the form.
        for draft in drafts:
            prefix = f"audience-{draft.audience.id}-"
            # The service refuses audiences the person may not write to (403), never drops them.
            draft.selected = form.get(prefix + "send") == "on"
            draft.title = form.get(prefix + "title", draft.title)
            draft.body = form.get(prefix + "body", draft.body)
            draft.template_id = parse_int(form.get(prefix + "template")) or draft.template_id
            try:
                draft.next_update_due_at = parse_local_input(
                    form.get(prefix + "promise"), site().zone, field="promise"
                )
            except ValidationError as error:
                errors.append(f"{draft.audience.name}: {error}")
    if action is not None and not errors:
        messages = [
            composing.Message(d.audience, d.title, d.body, d.next_update_due_at, d.template_id)
            for d in drafts
            if d.selected
        ]
        try:
            outcome = composing.submit(
                incident,
                version=parse_int(form.get("version")),
                loaded_at=parse_loaded_at(form.get("loaded_at")),
                status=status,
                messages=messages,
                component_changes=changes,
                action=action,
                by=user,
                now=now,
            )
        except edits.StaleIncident as conflict:
            db.session.rollback()
            stale = conflict
        except promises.PromiseTooLate as refusal:
            db.session.rollback()
            errors.append(str(refusal))
            late_promise = refusal.audience_id
        except ValidationError as error:
            db.session.rollback()
            errors.append(str(error))
        else:
            db.session.commit()
            flash(_outcome_message(outcome), "success")
            return redirect(url_for("admin.incident", incident_id=incident.id))
    code = 409 if stale else 403 if late_promise else 422 if errors else 200
    return render_template(
        "admin/compose.html",
        incident=incident,
        statuses=statuses,
        status=status,
        facts=facts,
        components=all_components(),
        changes=changes,
        drafts=drafts,
        errors=errors,
        late_promise=late_promise,
        stale=stale,
        version=incident.version if not stale else form.get("version"),
        loaded_at=now.isoformat() if not stale else form.get("loaded_at"),
        now=now,
    ), code


def _status(value: str | None, *, default: IncidentStatus) -> IncidentStatus:
    try:
        return IncidentStatus(value) if value else default
    except ValueError as error:
        raise ValidationError(f"{value!r} is not a status.", field="status") from error


def _outcome_message(outcome: composing.Outcome) -> str:
    parts = []
    if outcome.published:
        parts.append("Published to " + ", ".join(u.audience.name for u in outcome.published) + ".")
    if outcome.in_review:
        parts.append(
            "Sent for review (a second person must approve): "
            + ", ".join(u.audience.name for u in outcome.in_review)
            + "."
        )
    if outcome.saved:
        parts.append("Saved drafts for " + ", ".join(u.audience.name for u in outcome.saved) + ".")
    return " ".join(parts)


@bp.route("/updates/<int:update_id>", methods=["GET", "POST"])
@permission_required(Permission.VIEW_CONSOLE)
def draft(update_id: int) -> str | Response | tuple[str, int]:
    update = publishing.get_update(update_id)
    user = me()
    if update.is_published:
        return redirect(url_for("admin.incident", incident_id=update.incident_id))
    form = DraftForm(obj=update)
    conflict = None
    code = 200
    if request.method == "POST":
        require(may_write_to(user, update.incident, update.audience))
        try:
            action = composing.Action(request.form.get("action", "save"))
        except ValueError:
            action = composing.Action.SAVE
        try:
            result = composing.act_on_draft(
                update,
                version=parse_int(request.form.get("version")),
                title=form.title.data or "",
                body=form.body.data or "",
                next_update_due_at=parse_local_input(
                    request.form.get("next_update_due_at"), site().zone, field="promise"
                ),
                action=action,
                by=user,
                now=utcnow(),
            )
        except promises.PromiseTooLate as refusal:
            db.session.rollback()
            form.form_errors.append(str(refusal))
            code = 403
        except composing.StaleDraft:
            db.session.rollback()
            conflict = publishing.get_update(update_id)
            code = 409
            # Saving again from here deliberately replaces theirs: the form takes their version.
            form.version.raw_data, form.version.data = None, conflict.version
        except ValidationError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            code = 422
        else:
            db.session.commit()
            flash(_draft_message(action, result), "success")
            if result is None or result.is_published or action is not composing.Action.SAVE:
                return redirect(url_for("admin.incident", incident_id=update.incident_id))
            return redirect(url_for("admin.draft", update_id=update_id))
    return render_template(
        "admin/draft.html",
        update=conflict or update,
        form=form,
        conflict=conflict,
        promise_value=(
            request.form.get("next_update_due_at")
            if request.method == "POST"
            else local_input(update.next_update_due_at, site().zone)
        ),
        may_write=may_write_to(user, update.incident, update.audience),
        needs_review=publishing.requires_review(update),
        may_approve=may_approve(user, update),
        is_author=update.author_id == user.id,
    ), code


def _draft_message(action: composing.Action, update: Update | None) -> str:
    if update is None:
        return "Draft discarded."
    return {
        composing.Action.SAVE: "Draft saved.",
        composing.Action.SUBMIT: f"Sent the {update.audience.name} update for review.",
        composing.Action.PUBLISH: f"Published to {update.audience.name}.",
    }[action]


@bp.post("/preview")
@permission_required(Permission.VIEW_CONSOLE)
def preview() -> dict[str, str]:
    """Markdown as the page will show it (the forms call this while people type)."""
    return {"html": str(markdown_to_html(request.form.get("text", "")[:20000]))}
