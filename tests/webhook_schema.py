"""JSON Schemas of Statuspage's webhook bodies, written from its documentation.

Source: "Enable webhook notifications" (support.atlassian.com/statuspage/docs/enable-webhook-
notifications), whose sample payloads every Statuspage receiver is written against: a component
update (`meta`, `page`, `component_update`, `component`) and an incident update (`meta`, `page`,
`incident` with its `incident_updates`); scheduled maintenance reuses the incident body with the
`scheduled_*` keys filled. Every key of the samples is required here with its documented type;
keys of our own (audience, next_update_at, ...) may stand beside them.
"""

from __future__ import annotations

from typing import Any

TIMESTAMP = {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d\d-\d\dT"}
MAYBE_TIMESTAMP = {"anyOf": [TIMESTAMP, {"type": "null"}]}
COMPONENT_STATUS = {
    "enum": [
        "operational",
        "under_maintenance",
        "degraded_performance",
        "partial_outage",
        "major_outage",
    ]
}
INDICATOR = {"enum": ["none", "minor", "major", "critical", "maintenance"]}
INCIDENT_STATUSES = ["investigating", "identified", "monitoring", "resolved", "postmortem"]
MAINTENANCE_STATUSES = ["scheduled", "in_progress", "verifying", "completed"]


def _object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties, **extra}


META = _object(
    {
        "unsubscribe": {"type": "string", "format": "uri", "pattern": "^https?://"},
        "documentation": {"type": "string", "format": "uri", "pattern": "^https?://"},
        "generated_at": TIMESTAMP,
    }
)
PAGE = _object(
    {
        "id": {"type": "string", "minLength": 1},
        "status_indicator": INDICATOR,
        "status_description": {"type": "string", "minLength": 1},
    }
)
COMPONENT_UPDATE = _object(
    {
        "created_at": TIMESTAMP,
        "new_status": COMPONENT_STATUS,
        "old_status": COMPONENT_STATUS,
        "id": {"type": "string", "minLength": 1},
        "component_id": {"type": "string", "minLength": 1},
        "component_type": {"const": "Component"},
    }
)
COMPONENT = _object(
    {
        "created_at": TIMESTAMP,
        "id": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1},
        "status": COMPONENT_STATUS,
    }
)
INCIDENT_UPDATE = _object(
    {
        "body": {"type": "string"},
        "created_at": TIMESTAMP,
        "display_at": TIMESTAMP,
        "status": {"enum": INCIDENT_STATUSES + MAINTENANCE_STATUSES},
        "twitter_updated_at": MAYBE_TIMESTAMP,
        "updated_at": TIMESTAMP,
        "wants_twitter_update": {"type": "boolean"},
        "id": {"type": "string", "minLength": 1},
        "incident_id": {"type": "string", "minLength": 1},
    }
)
INCIDENT = _object(
    {
        "backfilled": {"type": "boolean"},
        "created_at": TIMESTAMP,
        "impact": INDICATOR,
        "impact_override": {"anyOf": [INDICATOR, {"type": "null"}]},
        "monitoring_at": MAYBE_TIMESTAMP,
        "postmortem_body": {"type": ["string", "null"]},
        "postmortem_body_last_updated_at": MAYBE_TIMESTAMP,
        "postmortem_ignored": {"type": "boolean"},
        "postmortem_notified_subscribers": {"type": "boolean"},
        "postmortem_notified_twitter": {"type": "boolean"},
        "postmortem_published_at": MAYBE_TIMESTAMP,
        "resolved_at": MAYBE_TIMESTAMP,
        "scheduled_auto_transition": {"type": "boolean"},
        "scheduled_for": MAYBE_TIMESTAMP,
        "scheduled_remind_prior": {"type": "boolean"},
        "scheduled_reminded_at": MAYBE_TIMESTAMP,
        "scheduled_until": MAYBE_TIMESTAMP,
        "shortlink": {"type": "string", "format": "uri", "pattern": "^https?://"},
        "status": {"enum": INCIDENT_STATUSES + MAINTENANCE_STATUSES},
        "updated_at": TIMESTAMP,
        "id": {"type": "string", "minLength": 1},
        "organization_id": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1},
        "incident_updates": {"type": "array", "minItems": 1, "items": INCIDENT_UPDATE},
    }
)
# A maintenance window's body: the incident body with its window and its own statuses.
MAINTENANCE = {
    **INCIDENT,
    "properties": {
        **INCIDENT["properties"],
        "status": {"enum": MAINTENANCE_STATUSES},
        "scheduled_for": TIMESTAMP,
        "scheduled_until": TIMESTAMP,
        "impact": {"const": "maintenance"},
    },
}

COMPONENT_WEBHOOK = _object(
    {"meta": META, "page": PAGE, "component_update": COMPONENT_UPDATE, "component": COMPONENT}
)
INCIDENT_WEBHOOK = _object({"meta": META, "page": PAGE, "incident": INCIDENT})
MAINTENANCE_WEBHOOK = _object({"meta": META, "page": PAGE, "incident": MAINTENANCE})


def schema_for(payload: dict[str, Any]) -> dict[str, Any]:
    """The schema a body must meet, told apart as Statuspage's receivers do: by its keys."""
    if "component_update" in payload:
        return COMPONENT_WEBHOOK
    if (payload.get("incident") or {}).get("scheduled_for") is not None:
        return MAINTENANCE_WEBHOOK
    return INCIDENT_WEBHOOK
