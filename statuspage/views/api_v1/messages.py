"""What Statuspage lacks, in its style: each audience its own message (the console's compose with
every text written out), and the incident's drafts, saved or waiting for review."""

from __future__ import annotations

from typing import Any

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.extensions import db
from statuspage.models import IncidentStatus
from statuspage.models.enums import INCIDENT_STATUSES, MAINTENANCE_STATUSES
from statuspage.permissions import Permission
from statuspage.services.api import incidents as writing
from statuspage.services.incidents import lifecycle, publishing
from statuspage.services.incidents.compose import Action
from statuspage.views.api_v1 import access, shapes
from statuspage.views.api_v1.bodies import Envelope
from statuspage.views.api_v1.incidents import affected_components
from statuspage.views.api_v1.routing import ApiRoutes

routes = ApiRoutes("Audience messages and drafts (ours)")
ONE = "/pages/<page_id>/incidents/<int:incident_id>"
MESSAGE_FIELDS = ("status", "action", "components", "deliver_notifications", "audiences")
AUDIENCE_FIELDS = ("title", "body", "next_update_at")


@routes.route(ONE + "/messages", "POST",
              "Write each audience its own message: publish (review where policy wants it), "
              "save as drafts, or submit for review",
              container="message", fields=MESSAGE_FIELDS, returns="MessagesWritten",
              created=True)  # fmt: skip
def write_messages(incident_id: int) -> Any:
    user = access.require(Permission.WRITE_UPDATES)
    incident = lifecycle.get_incident(incident_id)
    body = Envelope("message", MESSAGE_FIELDS)
    allowed = MAINTENANCE_STATUSES if incident.is_maintenance else INCIDENT_STATUSES
    messages = [
        writing.AudienceMessage(
            slug=slug,
            body=text.text("body", required=True, max_length=publishing.BODY_LENGTH) or "",
            title=text.text("title", max_length=publishing.TITLE_LENGTH),
            next_update_due_at=text.moment("next_update_at"),
        )
        for slug, text in body.each("audiences", AUDIENCE_FIELDS).items()
    ]
    if not messages:
        raise ValidationError("message[audiences] needs one audience's text.", field="audiences")
    outcome = writing.write_messages(
        incident,
        status=body.choice("status", IncidentStatus, allowed=allowed) or incident.status,
        messages=messages,
        changes=affected_components(body),
        action=body.choice("action", Action, allowed=(Action.PUBLISH, Action.SAVE, Action.SUBMIT))
        or Action.PUBLISH,
        deliver=body.flag("deliver_notifications", True),
        by=user,
        now=utcnow(),
    )
    db.session.commit()
    return {
        "published": [shapes.incident_update(u) for u in outcome.published],
        "in_review": [shapes.incident_update(u) for u in outcome.in_review],
        "saved": [shapes.incident_update(u) for u in outcome.saved],
    }, 201


@routes.route(ONE + "/drafts", "GET", "The incident's unpublished updates (in review first)",
              returns="IncidentUpdate[]")  # fmt: skip
def list_drafts(incident_id: int) -> Any:
    access.require(Permission.WRITE_UPDATES)
    incident = lifecycle.get_incident(incident_id)
    return [shapes.incident_update(u) for u in publishing.drafts_waiting(incident)]


@routes.route(ONE + "/incident_updates/<int:update_id>/submit", "POST",
              "Send a saved draft for review", returns="IncidentUpdate")  # fmt: skip
def submit_draft(incident_id: int, update_id: int) -> Any:
    user = access.require(Permission.WRITE_UPDATES)
    update = writing.submit_draft(writing.update_of(incident_id, update_id), by=user, now=utcnow())
    db.session.commit()
    return shapes.incident_update(update)
