"""A fuzz of every management API endpoint: random and hostile bodies (JSON of every type, forms
with odd keys, invalid JSON), queries and roles, for a bounded time. Nothing answers 500; every
refusal is Statuspage's `{"error": ...}` with a 4xx."""

from __future__ import annotations

import random
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from statuspage.extensions import db
from statuspage.views.api_v1 import AREAS
from tests.api_v1 import Api, make_keys, undescribed
from tests.factories import make_component

pytestmark = pytest.mark.slow
SECONDS = 25
SEED = 20261205
OPERATIONS = [operation for area in AREAS for operation, _ in area.routes.operations]
HOSTILE = [None, True, False, 0, -1, 2**31, 2**63, 1.5, float("inf"), "", " ", "x" * 5000,
           "\u0000", "\u202e\U0001f4a5", "a\r\nb", "investigating", "resolved", "scheduled",
           "in_progress", "completed", "major_outage", "operational", "critical", "none",
           "2026-01-01T00:00:00Z", "9999-12-31T23:59:59", "0001-01-01", "yesterday", [], {},
           ["1"], [1, "2", None], {"1": "major_outage"}, {"999999": "operational"},
           {"x": {"y": {"z": [[[[[]]]]]}}}, "<script>alert(1)</script>", "{{ 7*7 }}",
           "a@example.com", "https://hooks.example.com/x", "http://127.0.0.1:1/x"]  # fmt: skip


def _value(rng: random.Random, known: list[Any]) -> Any:
    return rng.choice(HOSTILE + known)


def _json_body(rng: random.Random, container: str | None, fields: tuple[str, ...], known) -> Any:
    shape = rng.random()
    if shape < 0.1:
        return rng.choice([[], "x", 5, None, [container]])
    inner = {f: _value(rng, known) for f in fields if rng.random() < 0.5}
    if rng.random() < 0.15:
        inner[rng.choice(["bogus", "id", "page_id", "__proto__"])] = _value(rng, known)
    if shape < 0.2:
        return {rng.choice(["x", "incidnet", container or "y"]): inner}
    return {container or "body": inner}


def _form_body(rng: random.Random, container: str | None, fields, known) -> list[tuple[str, str]]:
    name = container or "x"
    pairs = []
    for field in fields:
        if rng.random() < 0.5:
            suffix = rng.choice(["", "[]", "[1]", "[][]", "[a][b]", "]["])
            pairs.append((f"{name}[{field}]{suffix}", str(_value(rng, known))[:300]))
    if rng.random() < 0.2:
        pairs.append((rng.choice([name, f"{name}[]", "[x]", f"{name}[bogus]"]), "1"))
    return pairs


def _world(app, client, keys) -> dict[str, list[str]]:
    with app.app_context():
        component = make_component("Fuzzed")
        db.session.commit()
        component_id = str(component.id)
    api = Api(client, keys.page, keys.admin)
    incident = api.send("POST", "/incidents", {"incident": {
        "name": "Fuzz", "body": "b", "impact_override": "minor",
        "components": {component_id: "partial_outage"}}}).get_json()  # fmt: skip
    starts = datetime.now(UTC) + timedelta(hours=2)
    window = api.send("POST", "/incidents", {"incident": {
        "name": "Window", "scheduled_for": starts.isoformat(),
        "scheduled_until": (starts + timedelta(hours=1)).isoformat()}}).get_json()  # fmt: skip
    group = api.send("POST", "/component-groups", {"component_group": {"name": "G"}}).get_json()
    subscriber = api.send("POST", "/subscribers", {"subscriber": {"email": "f@example.com"}})
    return {
        "incident_id": [incident["id"], window["id"], "999999", "0"],
        "component_id": [component_id, "999999"],
        "group_id": [group["id"], "999999"],
        "subscriber_id": [subscriber.get_json()["id"], "999999"],
        "update_id": [u["id"] for u in incident["updates"]] + ["999999"],
        "template_id": [api.get("/incident_templates").get_json()[0]["id"], "999999"],
    }


def test_no_endpoint_answers_a_server_error_to_anything(app, client):
    keys = make_keys(app)
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    ids = _world(app, client, keys)
    known = [value for values in ids.values() for value in values]
    rng = random.Random(SEED)
    roles = [keys.admin] * 4 + [keys.commander, keys.liaison, keys.viewer, keys.read_only]
    failures: list[str] = []
    deadline, sent = time.monotonic() + SECONDS, 0
    while time.monotonic() < deadline:
        operation = OPERATIONS[sent % len(OPERATIONS)]
        sent += 1
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: rng.choice(ids.get(m.group(1), [keys.page])),
                      operation.rule)  # fmt: skip
        path = "/api/v1" + path + rng.choice(["", ".json"])
        query = {"page": rng.choice(["1", "2", "0", "-1", "x", "99999999"]),
                 "per_page": rng.choice(["1", "100", "101", ""]), "q": rng.choice(["", "%", "_"])}  # fmt: skip
        headers = {"Authorization": f"OAuth {rng.choice(roles)}"}
        kind = rng.random()
        kwargs: dict[str, Any] = {"query_string": query, "headers": headers}
        if operation.method != "GET" and kind < 0.6:
            kwargs["json"] = _json_body(rng, operation.container, operation.fields, known)
        elif operation.method != "GET" and kind < 0.85:
            kwargs["data"] = MultiDict(
                _form_body(rng, operation.container, operation.fields, known)
            )
        elif operation.method != "GET":
            kwargs["data"] = rng.choice([b"{", b"\xff\xfe", b"[" * 5000, b'{"a": NaN}'])
            kwargs["content_type"] = "application/json"
        answer = client.open(path, method=operation.method, **kwargs)
        if answer.status_code >= 500:
            failures.append(f"{operation.method} {path} {kwargs} -> {answer.status_code}")
        elif problem := undescribed(app, operation.method, path, answer):
            failures.append(problem)
    print(f"{sent} requests to {len(OPERATIONS)} operations")
    assert sent > len(OPERATIONS) * 3, sent
    assert failures == [], "\n".join(failures[:20])
