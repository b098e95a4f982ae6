"""Incident templates (each audience's message template for a status: read, and change its
title and body), postmortems (read, write, publish, revert), and what Statuspage lacks, in the
same style: the audiences, and an incident's timeline (read it, add a note)."""

from __future__ import annotations

from typing import Any

from statuspage.core.clock import utcnow
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.models import NoteType
from statuspage.permissions import Permission
from statuspage.services import configuration
from statuspage.services.api import lists
from statuspage.services.configuration import list_audiences
from statuspage.services.incidents import edits, lifecycle, publishing, writeup
from statuspage.views.api_v1 import access, shapes
from statuspage.views.api_v1.bodies import Envelope, pagination
from statuspage.views.api_v1.routing import ApiRoutes

routes = ApiRoutes("More")
ONE = "/pages/<page_id>/incidents/<int:incident_id>"
POSTMORTEM = ONE + "/postmortem"
TEMPLATE = "/pages/<page_id>/incident_templates/<int:template_id>"


@routes.route("/pages/<page_id>/incident_templates", "GET",
              "List incident templates (each audience's message templates)", paginated=True,
              returns="IncidentTemplate[]")  # fmt: skip
def list_templates() -> Any:
    page, per_page = pagination()
    return [shapes.template(t) for t in lists.templates(page=page, per_page=per_page)]


@routes.route(TEMPLATE, "GET", "Get an incident template", returns="IncidentTemplate")
def get_template(template_id: int) -> Any:
    return shapes.template(configuration.get_template(template_id))


@routes.route(TEMPLATE, ("PATCH", "PUT"),
              "Change a template's title and body (refused unless they render)",
              container="template", fields=("title", "body"), returns="IncidentTemplate")  # fmt: skip
def update_template(template_id: int) -> Any:
    user = access.require(Permission.MANAGE_CONFIGURATION)
    template = configuration.get_template(template_id)
    body = Envelope("template", ("title", "body"))
    configuration.save_template(
        template,
        title=body.text("title", max_length=publishing.TITLE_LENGTH) or template.title,
        body=body.text("body", max_length=publishing.BODY_LENGTH) or template.body,
        site=current_site(),
        by=user,
        now=utcnow(),
    )
    db.session.commit()
    return shapes.template(template)


@routes.route(
    "/pages/<page_id>/audiences", "GET", "List the audiences (ours)", returns="Audience[]"
)
def list_audiences_() -> Any:
    return [shapes.audience(a) for a in list_audiences()]


@routes.route(ONE + "/notes", "POST", "Add a note to the incident's timeline (ours)",
              container="note", fields=("text", "note_type"),
              returns="TimelineEvent", created=True)  # fmt: skip
def add_note(incident_id: int) -> Any:
    incident = lifecycle.get_incident(incident_id)
    body = Envelope("note", ("text", "note_type"))
    event = edits.add_note(
        incident,
        body.text("text", required=True) or "",
        note_type=body.choice("note_type", NoteType) or NoteType.OBSERVATION,
        by=access.caller(),
        now=utcnow(),
    )
    db.session.commit()
    return shapes.timeline_event(event), 201


@routes.route(ONE + "/timeline", "GET", "The incident's timeline, oldest first (ours)",
              returns="TimelineEvent[]")  # fmt: skip
def get_timeline(incident_id: int) -> Any:
    return [shapes.timeline_event(e) for e in edits.timeline(lifecycle.get_incident(incident_id))]


def _postmortem(incident_id: int) -> dict[str, Any]:
    incident = lifecycle.get_incident(incident_id)
    postmortem = incident.postmortem
    document = shapes.incident(incident)
    return {
        "body": postmortem.body if postmortem else None,
        "body_draft": writeup.text_to_edit(incident, site=current_site(), now=utcnow()),
        "published_at": document["postmortem_published_at"],
        "updated_at": document["postmortem_body_last_updated_at"],
        "notify_subscribers": False,
        "notify_twitter": False,
    }


@routes.route(
    POSTMORTEM, "GET", "Get the postmortem (or a draft from public data)", returns="Postmortem"
)
def get_postmortem(incident_id: int) -> Any:
    access.require(Permission.MANAGE_INCIDENTS)
    return _postmortem(incident_id)


@routes.route(POSTMORTEM, "PUT", "Save the postmortem's text",
              container="postmortem", fields=("body_draft",), returns="Postmortem")  # fmt: skip
def save_postmortem(incident_id: int) -> Any:
    user = access.require(Permission.MANAGE_INCIDENTS)
    body = Envelope("postmortem", ("body_draft",))
    incident = lifecycle.get_incident(incident_id)
    writeup.save_postmortem(incident, body.text("body_draft", required=True), by=user, now=utcnow())
    db.session.commit()
    return _postmortem(incident_id)


@routes.route(POSTMORTEM + "/publish", "PUT", "Publish the postmortem (admins)",
              container="postmortem", fields=("notify_subscribers", "notify_twitter", "custom_tweet"),
              returns="Postmortem")  # fmt: skip
def publish_postmortem(incident_id: int) -> Any:
    user = access.require(Permission.PUBLISH_POSTMORTEMS)
    Envelope("postmortem", ("notify_subscribers", "notify_twitter", "custom_tweet"), required=False)
    writeup.publish_postmortem(lifecycle.get_incident(incident_id), by=user, now=utcnow())
    db.session.commit()
    return _postmortem(incident_id)


@routes.route(
    POSTMORTEM + "/revert",
    "PUT",
    "Take the postmortem off the public page (admins)",
    returns="Postmortem",
)
def revert_postmortem(incident_id: int) -> Any:
    user = access.require(Permission.PUBLISH_POSTMORTEMS)
    writeup.unpublish_postmortem(lifecycle.get_incident(incident_id), by=user, now=utcnow())
    db.session.commit()
    return _postmortem(incident_id)
