"""Incidents and scheduled maintenance: Statuspage's lists, declaring (or scheduling), reading,
updating with a new body and status (to every audience through its template), and editing the
text of an update already out. Incidents are the record: a DELETE is refused (409)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request

from statuspage.core.clock import utcnow
from statuspage.core.errors import Conflict, ValidationError
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.models import Component, ComponentStatus, Impact, IncidentStatus
from statuspage.models.enums import INCIDENT_STATUSES, MAINTENANCE_STATUSES
from statuspage.permissions import Permission
from statuspage.services import components as catalogue
from statuspage.services.api import incidents as writing
from statuspage.services.api import lists
from statuspage.services.incidents import lifecycle, publishing
from statuspage.views.api_v1 import access, shapes
from statuspage.views.api_v1.bodies import Envelope, pagination
from statuspage.views.api_v1.routing import ApiRoutes

routes = ApiRoutes("Incidents")
BASE = "/pages/<page_id>/incidents"
ONE = BASE + "/<int:incident_id>"
# Accepted as Statuspage's clients send them; those we have no use for change nothing (twitter,
# metadata, reminders and auto transitions, which windows here always have).
IGNORED = ("wants_twitter_update", "metadata", "scheduled_remind_prior",
           "scheduled_auto_in_progress", "scheduled_auto_completed", "auto_tweet_at_beginning",
           "auto_tweet_on_completion", "auto_tweet_on_creation", "auto_tweet_one_hour_before",
           "auto_transition_deliver_notifications_at_end",
           "auto_transition_deliver_notifications_at_start", "auto_transition_to_maintenance_state",
           "auto_transition_to_operational_state", "backfill_date", "backfilled",
           "reminder_intervals")  # fmt: skip
INCIDENT_FIELDS = ("name", "status", "body", "impact_override", "component_ids", "components",
                   "deliver_notifications", "scheduled_for", "scheduled_until", *IGNORED)  # fmt: skip
UPDATE_FIELDS = ("body", "display_at", "deliver_notifications", "wants_twitter_update",
                 "custom_tweet")  # fmt: skip
LIST_QUERY = ("q", "limit")  # besides page and per_page


def _list(which: lists.Which) -> Any:
    page, per_page = pagination()
    limit = request.args.get("limit", "")
    if limit.isascii() and limit.isdigit() and "per_page" not in request.args:
        per_page = max(1, min(int(limit[:4]), 100))
    found = lists.incidents(which, q=request.args.get("q", "")[:200], page=page, per_page=per_page)
    return shapes.incidents(found)


LISTS = [
    ("", lists.Which.ALL, "List incidents (q searches their names)"),
    ("/unresolved", lists.Which.UNRESOLVED, "List unresolved incidents"),
    ("/scheduled", lists.Which.SCHEDULED, "List scheduled maintenance"),
    ("/upcoming", lists.Which.UPCOMING, "List upcoming maintenance"),
    ("/active_maintenance", lists.Which.ACTIVE_MAINTENANCE, "List maintenance underway"),
]


def _lister(which: lists.Which) -> Callable[[], Any]:
    def view() -> Any:
        return _list(which)

    view.__name__ = f"list_{which}"
    return view


for path, which, summary in LISTS:
    routes.route(
        BASE + path, "GET", summary, paginated=True, query=LIST_QUERY, returns="Incident[]"
    )(_lister(which))


@routes.route(BASE, "POST", "Create an incident or a scheduled maintenance",
              container="incident", fields=INCIDENT_FIELDS,
              returns="IncidentWritten", created=True)  # fmt: skip
def create_incident() -> Any:
    user, body, now = access.caller(), Envelope("incident", INCIDENT_FIELDS), utcnow()
    status = body.choice(
        "status", IncidentStatus, allowed=(*INCIDENT_STATUSES, IncidentStatus.SCHEDULED)
    )
    name = body.text("name", required=True, max_length=lifecycle.TITLE_LENGTH) or ""
    text = body.text("body", max_length=publishing.BODY_LENGTH) or ""
    affected = affected_components(body)
    if status is IncidentStatus.SCHEDULED or "scheduled_for" in body:
        window = writing.schedule(
            name=name, body=text, scheduled_for=_required_time(body, "scheduled_for"),
            scheduled_until=_required_time(body, "scheduled_until"), components=list(affected),
            by=user, site=current_site(), now=now,
        )  # fmt: skip
        db.session.commit()
        return shapes.incident(window, in_review=[]), 201  # announced, never reviewed
    written = writing.declare(
        name=name, status=status or IncidentStatus.INVESTIGATING, body=text,
        impact=body.choice("impact_override", Impact), components=affected,
        deliver_notifications=body.flag("deliver_notifications", True),
        anyone_may_declare=current_app.config["ANYONE_MAY_DECLARE"],
        by=user, site=current_site(), now=now,
    )  # fmt: skip
    db.session.commit()
    return shapes.incident(written.incident, in_review=written.in_review), 201


def _required_time(body: Envelope, name: str) -> Any:
    moment = body.moment(name)
    if moment is None:
        raise ValidationError(f"incident[{name}] is required for a maintenance.", field=name)
    return moment


def affected_components(body: Envelope) -> dict[Component, ComponentStatus]:
    """`component_ids` (their status unchanged) and `components` (id -> status)."""
    statuses = body.statuses("components", ComponentStatus)
    chosen = dict.fromkeys(body.ids("component_ids"), ComponentStatus.OPERATIONAL) | statuses
    return {catalogue.get_component(i): status for i, status in chosen.items()}


@routes.route(ONE, "GET", "Get an incident", returns="Incident")
def get_incident(incident_id: int) -> Any:
    return shapes.incident(lifecycle.get_incident(incident_id))


@routes.route(ONE, ("PATCH", "PUT"), "Update an incident (a status or body is a new update)",
              container="incident", fields=INCIDENT_FIELDS, returns="IncidentWritten")  # fmt: skip
def update_incident(incident_id: int) -> Any:
    incident = lifecycle.get_incident(incident_id)
    body = Envelope("incident", INCIDENT_FIELDS)
    allowed = MAINTENANCE_STATUSES if incident.is_maintenance else INCIDENT_STATUSES
    written = writing.update(
        incident,
        name=body.text("name", max_length=lifecycle.TITLE_LENGTH),
        status=body.choice("status", IncidentStatus, allowed=allowed),
        body=body.text("body", max_length=publishing.BODY_LENGTH),
        impact=body.choice("impact_override", Impact),
        components=affected_components(body),
        deliver_notifications=body.flag("deliver_notifications", True),
        by=access.caller(),
        site=current_site(),
        now=utcnow(),
    )
    db.session.commit()
    return shapes.incident(written.incident, in_review=written.in_review)


@routes.route(ONE, "DELETE", "Delete an incident (refused: incidents are the record)", returns=None)
def delete_incident(incident_id: int) -> Any:
    access.require(Permission.MANAGE_INCIDENTS)
    lifecycle.get_incident(incident_id)
    raise Conflict("Incidents are kept as the record: resolve it (or complete the maintenance).")


@routes.route(ONE + "/incident_updates/<int:update_id>", "PATCH",
              "Edit the text of an update already published (nobody is notified again)",
              container="incident_update", fields=UPDATE_FIELDS,
              returns="IncidentUpdate")  # fmt: skip
def update_incident_update(incident_id: int, update_id: int) -> Any:
    update = writing.update_of(incident_id, update_id)
    body = Envelope("incident_update", UPDATE_FIELDS)
    text = body.text("body", max_length=publishing.BODY_LENGTH)
    if text is not None:
        writing.correct_text(update, text, by=access.caller(), now=utcnow())
    db.session.commit()
    return shapes.incident_update(update)
