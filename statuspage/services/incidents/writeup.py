"""The postmortem as the team writes it: saved per incident (commanders and admins), published and
unpublished by an admin once the incident is resolved; each change audited and, when the public
sees it, a new publication version so public caches refresh."""

from __future__ import annotations

from datetime import datetime

from statuspage.core.errors import ValidationError
from statuspage.core.site import Site
from statuspage.models import Incident, IncidentStatus, Postmortem, User
from statuspage.services.incidents.postmortem import public_draft
from statuspage.services.public.version import bump_publication
from statuspage.services.records import record_audit
from statuspage.services.validation import clean_text

BODY_LENGTH = 50_000


def text_to_edit(incident: Incident, *, site: Site, now: datetime) -> str:
    """The saved postmortem, or the first time a draft generated from public data only."""
    if incident.postmortem is not None:
        return incident.postmortem.body
    return public_draft(incident, site=site, now=now)


def save_postmortem(incident: Incident, body: str | None, *, by: User, now: datetime) -> Postmortem:
    """Keep the postmortem's text exactly as written; a published one changes publicly at once."""
    text = clean_text(body, field="postmortem", max_length=BODY_LENGTH, multiline=True)
    if incident.postmortem is None:
        incident.postmortem = Postmortem(body=text, updated_at=now)
    postmortem = incident.postmortem
    postmortem.body, postmortem.updated_at, postmortem.updated_by = text, now, by
    record_audit(by, "postmortem.edit", "incident", incident.id, now=now)
    if postmortem.published_at is not None:
        bump_publication(now=now)
    return postmortem


def publish_postmortem(incident: Incident, *, by: User, now: datetime) -> Postmortem:
    """Show the saved postmortem on the incident's public page, in the API and the feeds."""
    postmortem = incident.postmortem
    if postmortem is None:
        raise ValidationError("Save the postmortem before publishing it.")
    if incident.status is not IncidentStatus.RESOLVED:
        raise ValidationError("A postmortem is published once the incident is resolved.")
    if not incident.is_public:
        raise ValidationError("Nothing about this incident was made public: there is no page.")
    postmortem.published_at, postmortem.published_by = now, by
    record_audit(by, "postmortem.publish", "incident", incident.id, now=now)
    bump_publication(now=now)
    return postmortem


def unpublish_postmortem(incident: Incident, *, by: User, now: datetime) -> Postmortem:
    """Take the postmortem off the public surfaces; its text stays for the team."""
    postmortem = incident.postmortem
    if postmortem is None or postmortem.published_at is None:
        raise ValidationError("The postmortem is not published.")
    postmortem.published_at = postmortem.published_by = None
    record_audit(by, "postmortem.unpublish", "incident", incident.id, now=now)
    bump_publication(now=now)
    return postmortem
