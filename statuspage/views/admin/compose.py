"""Writing updates: compose one for every audience, work on a draft (edit, review, publish), and
the preview the forms use while typing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.core.markdown import markdown_to_html
from statuspage.core.site import current_site
from statuspage.core.times import local_input, parse_local_input
from statuspage.extensions import db
from statuspage.models import Component, ComponentStatus, Incident, IncidentStatus, Update
from statuspage.models.enums import INCIDENT_STATUSES, MAINTENANCE_STATUSES
from statuspage.permissions import Permission, may_approve, may_write_to
from statuspage.services.cadence import promises
from statuspage.services.components import all_components
from statuspage.services.incidents import compose as composing
from statuspage.services.incidents import edits, impacts, publishing, reviews
from statuspage.services.incidents.lifecycle import get_incident
from statuspage.services.subscribers import Recipients, recipients_by_audience
from statuspage.views.access import me, permission_required, require
from statuspage.views.admin.confirm import ask_first
from statuspage.views.admin.formdata import (
    component_changes,
    parse_int,
    parse_loaded_at,
    read_text,
)
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import DraftForm

routes = Routes()

ACTIONS = {
    action.value: action for action in composing.Action if action is not composing.Action.DISCARD
}


@routes.route("/incidents/<int:incident_id>/compose", ["GET", "POST"])
@permission_required(Permission.WRITE_UPDATES)
def compose(incident_id: int) -> str | Response | tuple[str, int]:
    incident = get_incident(incident_id)
    now, form, refusal = utcnow(), request.form, Refusal()
    facts = _facts(form, refusal.errors)
    status = _status(form.get("status"), default=incident.status)
    changes = component_changes(form)
    drafts = composing.prepare_drafts(
        incident,
        status=status,
        facts=facts,
        component_changes=changes,
        user=me(),
        site=current_site(),
        now=now,
    )
    require(any(d.may_write for d in drafts))
    writing = Writing(incident, status, changes, drafts, facts)
    if request.method == "POST" and form.get("action") != "draft":
        refusal.errors += _take_texts(drafts, form)
    # "Send anyway" after the warning that some texts lack the facts names the action itself.
    confirmed = form.get("without_facts")
    action = ACTIONS.get(confirmed or form.get("action", ""))
    if action is not None and not refusal.errors and not confirmed:
        refusal.lacking = composing.lacking_facts(drafts, facts)
        refusal.action = action
    if action is not None and not refusal.errors and not refusal.lacking:
        refused = _submit(writing, action, now=now)
        if refused is None:
            return redirect(url_for("admin.incident", incident_id=incident.id))
        refusal = refused
    return _compose_page(writing, refusal, now=now)


@dataclass(frozen=True)
class Writing:
    """What the compose form is about: the incident, the status and component changes it
    announces, and each audience's draft."""

    incident: Incident
    status: IncidentStatus
    changes: dict[Component, ComponentStatus]
    drafts: list[composing.AudienceDraft]
    facts: composing.Facts


@dataclass
class Refusal:
    """Why the compose form is shown again: the service's refusals, or a newer incident version."""

    errors: list[str] = field(default_factory=list)
    stale: edits.StaleIncident | None = None
    late_promise: int | None = None  # the audience promised beyond policy without the right
    # Chosen audiences whose text lacks the facts: the writer confirms before anything is sent.
    lacking: list[composing.AudienceDraft] = field(default_factory=list)
    action: composing.Action | None = None  # what the writer asked for

    @property
    def status_code(self) -> int:
        if self.stale:
            return 409
        if self.late_promise:
            return 403
        return 422 if self.errors or self.lacking else 200


def _take_texts(drafts: list[composing.AudienceDraft], form: MultiDict[str, str]) -> list[str]:
    """Put what the person typed for each audience on its draft; return what is wrong with it
    (texts too long, which are cut, and promises that are not a date and time).

    A text that comes back as the form showed it keeps following the facts, status and components
    (the draft holds its template's text for them, as they are now); one typed by hand, now or
    before, stays as typed. Audiences the person may not write to stay chosen if they chose them:
    the service refuses them (403).
    """
    errors: list[str] = []
    for draft in drafts:
        prefix, name = f"audience-{draft.audience.id}-", draft.audience.name
        draft.selected = form.get(prefix + "send") == "on"
        if prefix + "title" in form or prefix + "body" in form:
            _take_typed_text(draft, form, prefix, errors)
        draft.template_id = parse_int(form.get(prefix + "template")) or draft.template_id
        try:
            draft.next_update_due_at = parse_local_input(
                form.get(prefix + "promise"), current_site().zone, field="promise"
            )
        except ValidationError as error:
            errors.append(f"{name}: {error}")
    return errors


def _take_typed_text(
    draft: composing.AudienceDraft, form: MultiDict[str, str], prefix: str, errors: list[str]
) -> None:
    """The typed title and message, if they were edited (now or before) and so stay as typed."""
    name = draft.audience.name
    title, body = (
        read_text(form, prefix + part, limit=limit, label=f"{name}: {label}", errors=errors,
                  default=default)
        for part, limit, label, default in (
            ("title", publishing.TITLE_LENGTH, "the title", draft.title),
            ("body", publishing.BODY_LENGTH, "the message", draft.body),
        )
    )  # fmt: skip
    draft.edited = form.get(prefix + "edited") == "1" or composing.fingerprint(
        title, body
    ) != form.get(prefix + "shown")
    if draft.edited:
        draft.title, draft.body = title, body


def _submit(writing: Writing, action: composing.Action, *, now: datetime) -> Refusal | None:
    """Send the chosen audiences' messages; None once it is committed (and said), else why not."""
    messages = [
        composing.Message(d.audience, d.title, d.body, d.next_update_due_at, d.template_id)
        for d in writing.drafts
        if d.selected
    ]
    try:
        outcome = composing.submit(
            writing.incident,
            version=parse_int(request.form.get("version")),
            loaded_at=parse_loaded_at(request.form.get("loaded_at")),
            status=writing.status,
            messages=messages,
            component_changes=writing.changes,
            action=action,
            by=me(),
            now=now,
        )
    except edits.StaleIncident as conflict:
        refusal = Refusal(stale=conflict)
    except promises.PromiseTooLate as too_late:
        refusal = Refusal([str(too_late)], late_promise=too_late.audience_id)
    except ValidationError as error:
        refusal = Refusal([str(error)])
    else:
        db.session.commit()
        flash(_outcome_message(outcome), "success")
        return None
    db.session.rollback()
    return refusal


def _compose_page(writing: Writing, refusal: Refusal, *, now: datetime) -> tuple[str, int]:
    form, stale, incident = request.form, refusal.stale, writing.incident
    return render_template(
        "admin/compose.html",
        incident=incident,
        statuses=MAINTENANCE_STATUSES if incident.is_maintenance else INCIDENT_STATUSES,
        status=writing.status,
        facts=writing.facts.public,
        internal_details=writing.facts.internal,
        components=all_components(),
        standing=impacts.standing(),
        changes=writing.changes,
        drafts=writing.drafts,
        recipients=recipients_by_audience(),
        nobody=Recipients(),
        errors=refusal.errors,
        late_promise=refusal.late_promise,
        lacking=refusal.lacking,
        # Asked for the previews ("Refresh previews"): they open; otherwise they stay folded.
        refreshed=form.get("action") == "preview",
        requested=refusal.action,
        stale=stale,
        # After a conflict the form keeps what it was built from, so saving again still says so.
        version=form.get("version") if stale else incident.version,
        loaded_at=form.get("loaded_at") if stale else now.isoformat(),
        now=now,
    ), refusal.status_code


def _facts(form: MultiDict[str, str], errors: list[str]) -> composing.Facts:
    """What was written once, each part cut to what a message may hold (saying so in errors)."""
    return composing.Facts(
        *(
            read_text(form, name, limit=publishing.BODY_LENGTH, label=label, errors=errors)
            for name, label in (("facts", "The facts"), ("internal_details", "The details"))
        )
    )


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


@routes.route("/updates/<int:update_id>", ["GET", "POST"])
@permission_required(Permission.VIEW_CONSOLE)
def draft(update_id: int) -> str | Response | tuple[str, int]:
    update = publishing.get_update(update_id)
    if update.is_published:
        return redirect(url_for("admin.incident", incident_id=update.incident_id))
    form = DraftForm(obj=update)
    if request.method == "GET":
        return _draft_page(update, form)
    require(may_write_to(me(), update.incident, update.audience))
    action = _draft_action(request.form.get("action", "save"))
    if action is composing.Action.DISCARD and (asking := _ask_before_discarding(update)):
        return asking
    try:
        result = composing.act_on_draft(
            update,
            version=parse_int(request.form.get("version")),
            title=form.title.data or "",
            body=form.body.data or "",
            next_update_due_at=parse_local_input(
                request.form.get("next_update_due_at"), current_site().zone, field="promise"
            ),
            action=action,
            by=me(),
            now=utcnow(),
        )
    except promises.PromiseTooLate as refusal:
        return _refused(update, form, str(refusal), 403)
    except composing.StaleDraft:
        db.session.rollback()
        conflict = publishing.get_update(update_id)
        # Saving again from here deliberately replaces theirs: the form takes their version.
        form.version.raw_data, form.version.data = None, conflict.version
        return _draft_page(update, form, conflict=conflict, code=409)
    except ValidationError as error:
        return _refused(update, form, str(error), 422)
    db.session.commit()
    flash(_draft_message(action, result), "success")
    if result is None or result.is_published or action is not composing.Action.SAVE:
        return redirect(url_for("admin.incident", incident_id=update.incident_id))
    return redirect(url_for("admin.draft", update_id=update_id))


def _ask_before_discarding(update: Update) -> tuple[str, int] | None:
    return ask_first(
        f"Discard the {update.audience.name} draft?",
        f"Its text ({len(update.body):,} characters) is gone for good; nobody was sent it.",
        verb="Yes, discard it",
        cancel=url_for("admin.draft", update_id=update.id),
    )


def _draft_action(value: str) -> composing.Action:
    try:
        return composing.Action(value)
    except ValueError:
        return composing.Action.SAVE


def _refused(update: Update, form: DraftForm, message: str, code: int) -> tuple[str, int]:
    db.session.rollback()
    form.form_errors.append(message)
    return _draft_page(update, form, code=code)


def _draft_page(
    update: Update, form: DraftForm, *, conflict: Update | None = None, code: int = 200
) -> tuple[str, int]:
    user = me()
    promise_value = (
        request.form.get("next_update_due_at")
        if request.method == "POST"
        else local_input(update.next_update_due_at, current_site().zone)
    )
    return render_template(
        "admin/draft.html",
        update=conflict or update,
        form=form,
        conflict=conflict,
        promise_value=promise_value,
        may_write=may_write_to(user, update.incident, update.audience),
        needs_review=publishing.requires_review(update),
        may_approve=may_approve(user, update),
        is_author=update.author_id == user.id,
    ), code


def _draft_message(action: composing.Action, update: Update | None) -> str:
    if update is None:
        return "Draft discarded."
    if action is composing.Action.PUBLISH and not update.is_published:
        return (
            f"You changed the {update.audience.name} update, so it is now yours: it waits for "
            "review by someone other than you."
        )
    return {
        composing.Action.SAVE: "Draft saved.",
        composing.Action.SUBMIT: f"Sent the {update.audience.name} update for review.",
        composing.Action.PUBLISH: f"Published to {update.audience.name}.",
    }[action]


@routes.post("/incidents/<int:incident_id>/compose/drafts")
@permission_required(Permission.WRITE_UPDATES)
def follow_facts(incident_id: int) -> dict[str, list[dict[str, str]]]:
    """Each audience's text for the facts, status and components typed so far (the compose form
    puts them in the messages not edited by hand, while people type)."""
    incident = get_incident(incident_id)
    form = request.form
    drafts = composing.prepare_drafts(
        incident,
        status=_status(form.get("status"), default=incident.status),
        facts=_facts(form, []),
        component_changes=component_changes(form),
        user=me(),
        site=current_site(),
        now=utcnow(),
    )
    return {
        "drafts": [
            {
                "key": f"audience-{draft.audience.id}",
                "title": draft.title,
                "body": draft.body,
                "shown": draft.fingerprint,
                "html": str(markdown_to_html(draft.body)),
            }
            for draft in drafts
        ]
    }


@routes.post("/updates/<int:update_id>/changes")
@permission_required(Permission.APPROVE_UPDATES)
def request_changes(update_id: int) -> Response | tuple[str, int]:
    update = publishing.get_update(update_id)
    try:
        reviews.request_changes(update, request.form.get("comment", ""), by=me(), now=utcnow())
    except ValidationError as error:
        return _refused(update, DraftForm(obj=update), str(error), 422)
    db.session.commit()
    flash(f"Sent the {update.audience.name} update back to its author.", "success")
    return redirect(url_for("admin.incident", incident_id=update.incident_id))


@routes.post("/preview")
@permission_required(Permission.VIEW_CONSOLE)
def preview() -> dict[str, str]:
    """Markdown as the page will show it (the forms call this while people type)."""
    return {"html": str(markdown_to_html(request.form.get("text", "")[:20000]))}
