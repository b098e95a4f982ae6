"""JSON Schemas of the management API's documents (shapes.py and the views' own), for the OpenAPI
document. Every key is required and no other is allowed, so a test that checks each answer
against its schema (tests/api_v1.py) fails when a document and its description part."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from statuspage.models import (
    ComponentStatus,
    Impact,
    IncidentStatus,
    RosterRole,
    Severity,
    TimelineKind,
    UpdateState,
    Visibility,
)

Schema = dict[str, Any]

TEXT: Schema = {"type": "string"}
MAYBE_TEXT: Schema = {"type": ["string", "null"]}
ID: Schema = {"type": "string", "pattern": "^[0-9]+$"}
MAYBE_ID: Schema = {"type": ["string", "null"], "pattern": "^[0-9]+$"}
TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
DATE: Schema = {"type": ["string", "null"], "format": "date"}
FLAG: Schema = {"type": "boolean"}
COUNT: Schema = {"type": "integer", "minimum": 0}
SECONDS: Schema = {"type": ["integer", "null"]}
NOTHING: Schema = {"type": "null"}
IDS: Schema = {"type": "array", "items": ID}


def _choice(enum: type[StrEnum], *, null: bool = False) -> Schema:
    values: list[str | None] = [member.value for member in enum]
    return {"enum": [*values, None] if null else values}


def _object(**properties: Schema) -> Schema:
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


PAGE = _object(
    id=TEXT,
    name=TEXT,
    url=TEXT,
    time_zone=TEXT,
    subdomain=NOTHING,
    domain=NOTHING,
    allow_page_subscribers=FLAG,
    allow_incident_subscribers=FLAG,
    allow_email_subscribers=FLAG,
    allow_sms_subscribers=FLAG,
    allow_rss_atom_feeds=FLAG,
    allow_webhook_subscribers=FLAG,
)
COMPONENT = _object(
    id=ID,
    page_id=TEXT,
    group_id=MAYBE_ID,
    name=TEXT,
    description=MAYBE_TEXT,
    status=_choice(ComponentStatus),
    position={"type": "integer"},
    showcase=FLAG,
    only_show_if_degraded=FLAG,
    start_date=DATE,
    group=FLAG,
    automation_email=NOTHING,
    created_at=TIME,
    updated_at=TIME,
    visibility=_choice(Visibility),
    status_set_by_hand=FLAG,
)
GROUP = _object(
    id=ID,
    page_id=TEXT,
    name=TEXT,
    description=MAYBE_TEXT,
    position={"type": "integer"},
    components=IDS,
    created_at=TIME,
    updated_at=TIME,
    visibility=_choice(Visibility),
)
AFFECTED_COMPONENT = {
    "type": "object",
    "required": ["code", "name", "old_status", "new_status"],
    "properties": {
        "code": TEXT,
        "name": TEXT,
        "old_status": _choice(ComponentStatus),
        "new_status": _choice(ComponentStatus),
    },
}
INCIDENT_UPDATE = _object(
    id=ID,
    incident_id=ID,
    status=_choice(IncidentStatus),
    body=TEXT,
    created_at=TIME,
    updated_at=TIME,
    display_at=TIME,
    affected_components={"type": ["array", "null"], "items": AFFECTED_COMPONENT},
    deliver_notifications=FLAG,
    custom_tweet=NOTHING,
    tweet_id=NOTHING,
    wants_twitter_update=FLAG,
    audience=TEXT,
    state=_choice(UpdateState),
    next_update_at=TIME,
)
INCIDENT = _object(
    id=ID,
    page_id=TEXT,
    name=TEXT,
    status=_choice(IncidentStatus),
    impact=_choice(Impact),
    impact_override=_choice(Impact, null=True),
    created_at=TIME,
    updated_at=TIME,
    started_at=TIME,
    monitoring_at=TIME,
    resolved_at=TIME,
    shortlink=NOTHING,
    scheduled_for=TIME,
    scheduled_until=TIME,
    scheduled_remind_prior=FLAG,
    scheduled_auto_in_progress=FLAG,
    scheduled_auto_completed=FLAG,
    metadata={"type": "object"},
    components={"type": "array", "items": _ref("Component")},
    incident_updates={"type": "array", "items": _ref("IncidentUpdate")},
    postmortem_body=MAYBE_TEXT,
    postmortem_body_last_updated_at=TIME,
    postmortem_published_at=TIME,
    title=TEXT,
    severity=_choice(Severity, null=True),
    updates={"type": "array", "items": _ref("IncidentUpdate")},
    promises={
        "type": "array",
        "items": _object(audience_id=ID, next_update_at=TIME),
    },
    next_update_at=TIME,
)
# Created and changed incidents say which audiences' updates wait for a second person.
INCIDENT_WRITTEN = _object(
    **INCIDENT["properties"],
    awaiting_review={"type": "array", "items": _object(audience=TEXT, update_id=ID)},
)
UPDATES: Schema = {"type": "array", "items": _ref("IncidentUpdate")}
MESSAGES_WRITTEN = _object(published=UPDATES, in_review=UPDATES, saved=UPDATES)
SUBSCRIBER = _object(
    id=ID,
    mode={"enum": ["email", "webhook"]},
    email=MAYBE_TEXT,
    endpoint=MAYBE_TEXT,
    components=IDS,
    created_at=TIME,
    quarantined_at=TIME,
    purge_at=NOTHING,
    skip_confirmation_notification=FLAG,
    phone_number=NOTHING,
    phone_country=NOTHING,
    display_phone_number=NOTHING,
    page_access_user_id=NOTHING,
    audience=TEXT,
    state={"enum": ["receiving", "unconfirmed", "unsubscribed", "ended", "inactive"]},
)
TEMPLATE = _object(
    id=ID,
    name=TEXT,
    title=TEXT,
    body=TEXT,
    update_status=_choice(IncidentStatus),
    should_tweet=FLAG,
    should_send_notifications=FLAG,
    group_id=NOTHING,
    component_ids=IDS,
    audience=TEXT,
    updated_at=TIME,
)
AUDIENCE = _object(
    id=ID,
    slug=TEXT,
    name=TEXT,
    description=MAYBE_TEXT,
    public=FLAG,
    liaison_role=_choice(RosterRole),
    position={"type": "integer"},
)
TIMELINE_EVENT = _object(
    id=ID,
    incident_id=ID,
    kind=_choice(TimelineKind),
    occurred_at=TIME,
    text=TEXT,
    actor=MAYBE_TEXT,
)
POSTMORTEM = _object(
    body=MAYBE_TEXT,
    body_draft=TEXT,
    published_at=TIME,
    updated_at=TIME,
    notify_subscribers=FLAG,
    notify_twitter=FLAG,
)
CADENCE = _object(
    audience=TEXT,
    made=COUNT,
    kept=COUNT,
    missed=COUNT,
    open=COUNT,
    overdue=COUNT,
    cancelled=COUNT,
    worst_lateness_seconds=SECONDS,
    median_lateness_seconds=SECONDS,
    time_to_first_update_seconds=SECONDS,
)
ERROR = _object(error=TEXT)

SCHEMAS: dict[str, Schema] = {
    "Page": PAGE,
    "Component": COMPONENT,
    "ComponentGroup": GROUP,
    "IncidentUpdate": INCIDENT_UPDATE,
    "Incident": INCIDENT,
    "IncidentWritten": INCIDENT_WRITTEN,
    "MessagesWritten": MESSAGES_WRITTEN,
    "Subscriber": SUBSCRIBER,
    "IncidentTemplate": TEMPLATE,
    "Audience": AUDIENCE,
    "TimelineEvent": TIMELINE_EVENT,
    "Postmortem": POSTMORTEM,
    "CadenceFigures": CADENCE,
    "Error": ERROR,
}
