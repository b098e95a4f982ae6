"""Writing once for every audience: drafts from each audience's template, then publishing, saving
or sending them for review together; and working on one draft (edit, review, publish, discard).

A draft remembers the component changes it was written with (in `affected_components`, as planned
changes) so that whoever publishes it later applies them; publishing replaces them with the changes
actually made, as Statuspage reports them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from statuspage.core.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from statuspage.core.site import Site
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    MessageTemplate,
    TimelineKind,
    Update,
    UpdateState,
    User,
)
from statuspage.permissions import may_write_to
from statuspage.services.cadence import promises
from statuspage.services.configuration import list_audiences
from statuspage.services.incidents import publishing
from statuspage.services.incidents.edits import check_incident_version
from statuspage.services.records import actor_name, record_audit, record_event
from statuspage.services.templating import (
    message_context,
    render_deadline,
    render_message,
    sla_variables,
    template_for,
)
from statuspage.services.validation import clean_text


class Action(StrEnum):
    PUBLISH = "publish"
    SAVE = "save"
    SUBMIT = "submit"
    DISCARD = "discard"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    Action.PUBLISH: "Publish",
    Action.SAVE: "Save the drafts",
    Action.SUBMIT: "Send for review",
    Action.DISCARD: "Discard",
}


@dataclass
class AudienceDraft:
    """One audience's message as the compose form shows it."""

    audience: Audience
    title: str
    body: str
    next_update_due_at: datetime | None
    needs_review: bool
    may_write: bool
    template_id: int | None = None
    error: str | None = None
    selected: bool = True
    policy_due_at: datetime | None = None  # what the cadence policy asks for, whatever was typed
    # Typed by hand: it no longer follows the facts, status and components (see fingerprint).
    edited: bool = False

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.title, self.body)


def fingerprint(title: str, body: str) -> str:
    """A short digest of a message as the form showed it: a text that comes back with the same
    digest was not touched, so it may follow the facts again; browsers send CRLF line ends."""
    normal = "\n".join(part.replace("\r\n", "\n").strip() for part in (title, body))
    return hashlib.sha256(normal.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Facts:
    """What the writer typed once: the facts for everyone, and details for staff audiences only."""

    public: str = ""
    internal: str = ""

    def owed_to(self, audience: Audience) -> list[str]:
        """The texts a message to the audience should carry (public audiences: the facts only)."""
        texts = [self.public] if audience.is_public else [self.public, self.internal]
        return [text.strip() for text in texts if text.strip()]


def lacking_facts(drafts: Sequence[AudienceDraft], facts: Facts) -> list[AudienceDraft]:
    """The chosen drafts whose text does not carry what the writer typed for their audience (the
    writer is asked before sending)."""

    def carries(draft: AudienceDraft, text: str) -> bool:
        return " ".join(text.split()) in " ".join(draft.body.split())

    return [
        d
        for d in drafts
        if d.selected and not all(carries(d, text) for text in facts.owed_to(d.audience))
    ]


@dataclass(frozen=True)
class Message:
    """One audience's message as the person submitted it."""

    audience: Audience
    title: str
    body: str
    next_update_due_at: datetime | None
    template_id: int | None = None
    # False: published without telling subscribers (the API's deliver_notifications).
    deliver_notifications: bool = True


@dataclass
class Outcome:
    published: list[Update] = field(default_factory=list)
    in_review: list[Update] = field(default_factory=list)
    saved: list[Update] = field(default_factory=list)


def prepare_drafts(
    incident: Incident,
    *,
    status: IncidentStatus,
    facts: Facts,
    component_changes: Mapping[Component, ComponentStatus],
    user: User,
    site: Site,
    now: datetime,
) -> list[AudienceDraft]:
    """Each audience's draft from its template for the status, with the promise policy gives."""
    components = {link.component: link.status for link in incident.components}
    components.update(component_changes)
    drafts = []
    # Once for every staff audience: it reads each component's month of status changes.
    sla = sla_variables(components, now=now, zone=site.zone)
    # One wait for every audience's template: a request is never held longer than one render.
    deadline = render_deadline()
    for audience in list_audiences():
        due = (
            None if status.is_closed else promises.default_next_update(incident, audience, now=now)
        )
        template = template_for(audience, status)
        draft = AudienceDraft(
            audience=audience,
            title=incident.public_name,
            body="\n\n".join(facts.owed_to(audience)),
            next_update_due_at=due,
            needs_review=publishing.audience_requires_review(audience, incident),
            may_write=may_write_to(user, incident, audience),
            template_id=template.id if template else None,
            policy_due_at=due,
        )
        if template is not None:
            context = message_context(
                incident,
                audience=audience,
                site=site,
                now=now,
                status=status,
                facts=facts.public,
                internal_details=facts.internal,
                components=components,
                next_update_at=due,
                sla=sla,
            )
            try:
                rendered = render_message(template, context, deadline=deadline)
                draft.title, draft.body = rendered.title, rendered.body
            except ValidationError as error:
                draft.error = str(error)
        draft.selected = draft.may_write and (audience.is_public or not incident.is_maintenance)
        drafts.append(draft)
    return drafts


def submit(
    incident: Incident,
    *,
    version: int | None,
    loaded_at: datetime,
    status: IncidentStatus,
    messages: Sequence[Message],
    component_changes: Mapping[Component, ComponentStatus],
    action: Action,
    by: User,
    now: datetime,
) -> Outcome:
    """Draft one update per chosen audience, then publish, save or send them for review together.

    Publishing publishes every update whose audience allows it and sends the others (those whose
    policy wants a second person) for review; all of it is one transaction for the caller to commit.
    """
    check_incident_version(incident, version, loaded_at=loaded_at)
    _check_messages(incident, messages, status=status, by=by, now=now)
    planned = _planned(incident, component_changes)
    outcome = Outcome()
    # The public audience first: its update is the one that reports the component changes.
    for message in sorted(messages, key=lambda m: (not m.audience.is_public, m.audience.position)):
        draft = _draft_of(incident, message, status=status, by=by, now=now)
        draft.affected_components = planned or None
        if action is Action.SAVE:
            outcome.saved.append(draft)
        elif action is Action.SUBMIT or publishing.requires_review(draft):
            publishing.submit_for_review(draft, by=by, now=now)
            outcome.in_review.append(draft)
        else:
            publishing.publish_update(draft, by=by, now=now, component_changes=component_changes)
            outcome.published.append(draft)
    incident.updated_at = now
    record_audit(
        by,
        f"update.compose.{action}",
        "incident",
        incident.id,
        now=now,
        details={
            "published": [u.id for u in outcome.published],
            "in_review": [u.id for u in outcome.in_review],
            "saved": [u.id for u in outcome.saved],
        },
    )
    return outcome


def _check_messages(
    incident: Incident,
    messages: Sequence[Message],
    *,
    status: IncidentStatus,
    by: User,
    now: datetime,
) -> None:
    """Refuse the lot before anything is written, whether it is published, saved or reviewed."""
    if not messages:
        raise ValidationError("Choose at least one audience to write to.", field="audiences")
    for message in messages:
        if not may_write_to(by, incident, message.audience):
            raise PermissionDenied(
                f"You are not the liaison for {message.audience.name} on this incident."
            )
        if message.next_update_due_at is not None and not status.is_closed:
            promises.check_promise(
                incident, message.audience, message.next_update_due_at, by=by, now=now
            )


def _draft_of(
    incident: Incident, message: Message, *, status: IncidentStatus, by: User, now: datetime
) -> Update:
    template = db.session.get(MessageTemplate, message.template_id or 0)
    draft = publishing.add_draft(
        incident,
        message.audience,
        body=message.body,
        title=message.title,
        status=status,
        by=by,
        now=now,
        next_update_due_at=message.next_update_due_at,
        # Only the audience's own template: a form could name another audience's.
        template=template if template and template.audience_id == message.audience.id else None,
    )
    draft.deliver_notifications = message.deliver_notifications
    return draft


class StaleDraft(Conflict):
    """The draft changed since the person loaded it; `current` is what it says now."""

    def __init__(self, update: Update) -> None:
        super().__init__(
            "Someone else saved this draft after you opened it. Your text was NOT saved and is "
            "still in the form below; their version is shown beside it. Merge what you need "
            "and save again."
        )
        self.current = update


def act_on_draft(
    update: Update,
    *,
    version: int | None,
    title: str,
    body: str,
    next_update_due_at: datetime | None,
    action: Action,
    by: User,
    now: datetime,
) -> Update | None:
    """Save the person's text on the draft, then send it for review, publish it or discard it.

    Returns None when the draft was discarded.
    """
    if update.state is UpdateState.PUBLISHED:
        raise InvalidTransition("This update is already published; a correction is a new update.")
    if version is None or update.version != version:
        raise StaleDraft(update)
    if not may_write_to(by, update.incident, update.audience):
        raise PermissionDenied(f"You are not the liaison for {update.audience.name} here.")
    incident, audience = update.incident, update.audience
    if action is Action.DISCARD:
        record_event(
            incident,
            TimelineKind.UPDATE_DISCARDED,
            f"{actor_name(by)} discarded the {audience.name} draft.",
            actor=by,
            now=now,
            data={"update_id": update.id},
        )
        record_audit(by, "update.discard", "update", update.id, now=now)
        db.session.delete(update)
        return None
    waiting = update.state is UpdateState.IN_REVIEW
    before = (update.title, update.body, update.next_update_due_at)
    took_over = _edit(
        update, title=title, body=body, next_update_due_at=next_update_due_at, by=by, now=now
    )
    unchanged = before == (update.title, update.body, update.next_update_due_at)
    if action is Action.SUBMIT and waiting and unchanged:
        return update  # already waiting with this text: asking again would email them twice
    if action is Action.PUBLISH and took_over and publishing.requires_review(update):
        # The reviewer rewrote it: it is now their text, which someone else must approve.
        action = Action.SUBMIT
    if action is Action.SUBMIT:
        publishing.submit_for_review(update, by=by, now=now)
    elif action is Action.PUBLISH:
        publishing.publish_update(
            update, by=by, now=now, component_changes=_changes_planned_on(update)
        )
    record_audit(by, f"update.{action}", "update", update.id, now=now)
    return update


def _edit(
    update: Update,
    *,
    title: str,
    body: str,
    next_update_due_at: datetime | None,
    by: User,
    now: datetime,
) -> bool:
    """Put the new text on the draft; whoever changes another's text becomes its author (so they
    cannot approve it). Returns whether the author changed."""
    title = clean_text(title, field="title", max_length=publishing.TITLE_LENGTH)
    body = clean_text(body, field="body", max_length=publishing.BODY_LENGTH, multiline=True)
    # The form shows the promise to the minute; the same minute back is the promise unchanged
    # (its interval still counts from publication, however late that is).
    if _same_minute(next_update_due_at, update.next_update_due_at):
        next_update_due_at = update.next_update_due_at
    elif next_update_due_at is not None and not update.status.is_closed:
        promises.check_promise(update.incident, update.audience, next_update_due_at, by=by, now=now)
    if (title, body, next_update_due_at) == (update.title, update.body, update.next_update_due_at):
        return False
    update.title, update.body = title, body
    if next_update_due_at != update.next_update_due_at:
        update.promise(next_update_due_at, now=now)
    update.updated_at = now
    took_over = update.author_id != by.id
    update.author_id = by.id
    record_event(
        update.incident,
        TimelineKind.UPDATE_EDITED,
        f"{actor_name(by)} edited the {update.audience.name} draft"
        + (" and is now its author." if took_over else "."),
        actor=by,
        now=now,
        data={"update_id": update.id},
    )
    return took_over


def _same_minute(one: datetime | None, other: datetime | None) -> bool:
    if one is None or other is None:
        return one is other
    return one.replace(second=0, microsecond=0) == other.replace(second=0, microsecond=0)


def _planned(
    incident: Incident, changes: Mapping[Component, ComponentStatus]
) -> list[dict[str, str]]:
    impacts = {link.component_id: link.status for link in incident.components}
    return [
        {
            "code": str(component.id),
            "name": component.name,
            "old_status": str(impacts.get(component.id, ComponentStatus.OPERATIONAL)),
            "new_status": str(status),
        }
        for component, status in changes.items()
    ]


def _changes_planned_on(update: Update) -> dict[Component, ComponentStatus]:
    planned = update.affected_components or []
    components = {
        str(c.id): c
        for c in db.session.scalars(
            sa.select(Component).where(Component.id.in_([int(p["code"]) for p in planned]))
        )
    }
    return {
        components[p["code"]]: ComponentStatus(p["new_status"])
        for p in planned
        if p["code"] in components
    }
