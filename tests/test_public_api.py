"""The Statuspage-compatible JSON API: every document against a schema written from the reference
(/work/shared/reference/statuspage-api-v2.md), on an empty page, a busy one, and maintenance in
each state.
"""

import re

import jsonschema
import pytest

from statuspage.models import IncidentStatus
from statuspage.models.enums import MAINTENANCE_STATUSES as MAINTENANCE_STATES
from tests.public_world import build_world

TIMESTAMP = {
    "type": "string",
    "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$",
}
MAYBE_TIMESTAMP = {"anyOf": [TIMESTAMP, {"type": "null"}]}
COMPONENT_STATUS = {
    "enum": [
        "operational",
        "degraded_performance",
        "partial_outage",
        "major_outage",
        "under_maintenance",
    ]
}
PAGE = {
    "type": "object",
    "required": ["id", "name", "url", "time_zone", "updated_at"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9]{12}$"},
        "name": {"type": "string"},
        "url": {"type": "string", "pattern": "^https?://"},
        "time_zone": {"type": "string"},
        "updated_at": TIMESTAMP,
    },
}
STATUS = {
    "type": "object",
    "required": ["indicator", "description"],
    "properties": {
        "indicator": {"enum": ["none", "minor", "major", "critical"]},
        "description": {"type": "string", "minLength": 1},
    },
}
COMPONENT = {
    "type": "object",
    "required": [
        "id",
        "name",
        "status",
        "created_at",
        "updated_at",
        "position",
        "description",
        "showcase",
        "start_date",
        "group_id",
        "page_id",
        "group",
        "only_show_if_degraded",
    ],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "status": COMPONENT_STATUS,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "position": {"type": "integer", "minimum": 1},
        "description": {"type": ["string", "null"]},
        "showcase": {"type": "boolean"},
        "start_date": {
            "anyOf": [{"type": "string", "pattern": r"^\d{4}-\d\d-\d\d$"}, {"type": "null"}]
        },
        "group_id": {"type": ["string", "null"]},
        "page_id": {"type": "string"},
        "group": {"type": "boolean"},
        "only_show_if_degraded": {"type": "boolean"},
        "components": {"type": "array", "items": {"type": "string"}},
    },
    # `components` is there exactly when the row is a group.
    "if": {"properties": {"group": {"const": True}}},
    "then": {"required": ["components"]},
    "else": {"not": {"required": ["components"]}},
}
INCIDENT_STATUSES = ["investigating", "identified", "monitoring", "resolved", "postmortem"]
MAINTENANCE_STATUSES = ["scheduled", "in_progress", "verifying", "completed"]
UPDATE = {
    "type": "object",
    "required": [
        "id",
        "status",
        "body",
        "incident_id",
        "created_at",
        "updated_at",
        "display_at",
        "affected_components",
        "deliver_notifications",
        "custom_tweet",
        "tweet_id",
    ],
    "properties": {
        "id": {"type": "string"},
        "status": {"enum": INCIDENT_STATUSES + MAINTENANCE_STATUSES},
        "body": {"type": "string"},
        "incident_id": {"type": "string"},
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "display_at": TIMESTAMP,
        "affected_components": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "name", "old_status", "new_status"],
                        "properties": {
                            "code": {"type": "string"},
                            "name": {"type": "string"},
                            "old_status": COMPONENT_STATUS,
                            "new_status": COMPONENT_STATUS,
                        },
                    },
                },
            ]
        },
        "deliver_notifications": {"type": "boolean"},
        "custom_tweet": {"type": ["string", "null"]},
        "tweet_id": {"type": ["string", "null"]},
    },
}
INCIDENT = {
    "type": "object",
    "required": [
        "id",
        "name",
        "status",
        "created_at",
        "updated_at",
        "monitoring_at",
        "resolved_at",
        "impact",
        "shortlink",
        "started_at",
        "page_id",
        "incident_updates",
        "components",
        "reminder_intervals",
        "next_update_at",
    ],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "status": {"enum": INCIDENT_STATUSES},
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "monitoring_at": MAYBE_TIMESTAMP,
        "resolved_at": MAYBE_TIMESTAMP,
        "impact": {"enum": ["none", "minor", "major", "critical"]},
        "shortlink": {"type": "string", "pattern": "^https?://"},
        "started_at": TIMESTAMP,
        "page_id": {"type": "string"},
        "incident_updates": {"type": "array", "items": UPDATE, "minItems": 1},
        "components": {"type": "array", "items": COMPONENT},
        "reminder_intervals": {"type": ["string", "null"]},
        "next_update_at": MAYBE_TIMESTAMP,
    },
}
MAINTENANCE = {
    **INCIDENT,
    "required": [
        *INCIDENT["required"],
        "scheduled_for",
        "scheduled_until",
        "scheduled_remind_prior",
        "scheduled_reminded_at",
    ],
    "properties": {
        **INCIDENT["properties"],
        "status": {"enum": MAINTENANCE_STATUSES},
        "impact": {"const": "maintenance"},
        "scheduled_for": TIMESTAMP,
        "scheduled_until": TIMESTAMP,
        "scheduled_remind_prior": {"type": "boolean"},
        "scheduled_reminded_at": MAYBE_TIMESTAMP,
    },
}


def with_status(schema, *statuses):
    """The schema with its status narrowed to these values."""
    return {**schema, "properties": {**schema["properties"], "status": {"enum": list(statuses)}}}


def document(*required, **properties):
    return {
        "type": "object",
        "required": ["page", *required],
        "properties": {"page": PAGE, **properties},
    }


def listing(items, limit=None):
    schema = {"type": "array", "items": items}
    return schema | ({"maxItems": limit} if limit else {})


SCHEMAS = {
    "summary": document(
        "components",
        "incidents",
        "scheduled_maintenances",
        "status",
        components=listing(COMPONENT),
        incidents=listing(INCIDENT),
        scheduled_maintenances=listing(
            with_status(MAINTENANCE, "scheduled", "in_progress", "verifying")
        ),
        status=STATUS,
    ),
    "status": document("status", status=STATUS),
    "components": document("components", components=listing(COMPONENT)),
    "incidents": document("incidents", incidents=listing(INCIDENT, 50)),
    "incidents/unresolved": document(
        "incidents",
        incidents=listing(with_status(INCIDENT, "investigating", "identified", "monitoring")),
    ),
    "scheduled-maintenances": document(
        "scheduled_maintenances", scheduled_maintenances=listing(MAINTENANCE, 50)
    ),
    "scheduled-maintenances/upcoming": document(
        "scheduled_maintenances",
        scheduled_maintenances=listing(with_status(MAINTENANCE, "scheduled")),
    ),
    "scheduled-maintenances/active": document(
        "scheduled_maintenances",
        scheduled_maintenances=listing(with_status(MAINTENANCE, "in_progress", "verifying")),
    ),
}


def fetch(client, name):
    response = client.get(f"/api/v2/{name}.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.json


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_documents_of_an_empty_page_follow_the_reference(client, name):
    jsonschema.validate(fetch(client, name), SCHEMAS[name])


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_documents_of_a_busy_page_follow_the_reference(app, client, name, now):
    with app.app_context():
        build_world(now=now)
    jsonschema.validate(fetch(client, name), SCHEMAS[name])


@pytest.fixture
def world(public_world):
    return public_world


def test_the_summary_holds_the_open_incident_groups_and_current_maintenance(client, world):
    summary = fetch(client, "summary")
    assert [i["id"] for i in summary["incidents"]] == [str(world.open_incident)]
    groups = [c for c in summary["components"] if c["group"]]
    assert [g["name"] for g in groups] == ["Platform"]
    children = [c for c in summary["components"] if c["group_id"] == groups[0]["id"]]
    assert groups[0]["components"] == [c["id"] for c in children]
    statuses = {m["status"] for m in summary["scheduled_maintenances"]}
    assert statuses == {"scheduled", "in_progress", "verifying"}
    assert summary["status"] == {"indicator": "critical", "description": "Major Service Outage"}


def test_ids_are_strings_and_unique_across_components_and_groups(client, world):
    rows = fetch(client, "components")["components"]
    ids = [row["id"] for row in rows]
    assert all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids)


def test_incident_updates_are_newest_first_and_unresolved_ones_carry_the_next_update(client, world):
    (incident,) = fetch(client, "incidents/unresolved")["incidents"]
    times = [u["display_at"] for u in incident["incident_updates"]]
    assert times == sorted(times, reverse=True)
    assert incident["incident_updates"][0]["status"] == "identified"
    assert incident["next_update_at"] is not None
    assert incident["shortlink"] == f"http://status.test/incidents/{world.open_incident}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("scheduled-maintenances/upcoming", {IncidentStatus.SCHEDULED}),
        ("scheduled-maintenances/active", {IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING}),
        # Every state of Statuspage's: a cancelled window is left out (their API has no such state).
        ("scheduled-maintenances", set(MAINTENANCE_STATES) - {IncidentStatus.CANCELLED}),
    ],
)
def test_maintenance_documents_hold_the_windows_in_their_states(client, world, name, expected):
    windows = fetch(client, name)["scheduled_maintenances"]
    assert {w["id"] for w in windows} == {str(world.maintenance[s]) for s in expected}


def test_timestamps_use_the_page_zone_offset(app, world):
    app.config["TIMEZONE"] = "America/Chicago"
    page = fetch(app.test_client(), "summary")["page"]
    assert page["time_zone"] == "America/Chicago"
    assert re.search(r"-0[56]:00$", page["updated_at"])


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_documents_are_open_to_every_origin(client, name):
    assert client.get(f"/api/v2/{name}.json").headers["Access-Control-Allow-Origin"] == "*"


def test_an_unknown_document_is_a_json_404(client):
    response = client.get("/api/v2/nothing.json")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
