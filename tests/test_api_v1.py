"""The management API (/api/v1) in Statuspage's v1 shapes: what each endpoint does through the
console's services (the public learns through its audience, review waits, audit per key), and
each class of bad input answered with Statuspage's error shape and a 4xx."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.clock import pinned, utcnow
from statuspage.extensions import db
from statuspage.models import AuditEntry, ComponentStatus, Delivery, Incident, TimelineEvent
from statuspage.services.api import keys as api_keys
from tests.api_v1 import Api, Keys, make_keys
from tests.factories import NOW, make_component, make_incident, make_published
from tests.helpers import statements_run


@pytest.fixture
def keys(app) -> Keys:
    return make_keys(app)


@pytest.fixture
def api(client, keys) -> Api:
    return Api(client, keys.page, keys.admin)


@pytest.fixture
def component_id(app) -> str:
    with app.app_context():
        component = make_component("Checkout")
        db.session.commit()
        return str(component.id)


def _declare(api: Api, component_id: str, **fields) -> dict:
    incident = {
        "name": "Checkout fails",
        "status": "investigating",
        "body": "Card payments fail for some customers.",
        "impact_override": "minor",
        "components": {component_id: "partial_outage"},
        **fields,
    }
    answer = api.send("POST", "/incidents", {"incident": incident})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_every_path_answers_with_and_without_json(api):
    assert api.get("/components").get_json() == api.get("/components.json").get_json()
    pages = api.client.get("/api/v1/pages.json", headers=api.headers()).get_json()
    assert [p["id"] for p in pages] == [api.page]


def test_declaring_tells_the_public_through_its_template(api, client, component_id):
    incident = _declare(api, component_id)
    assert incident["status"] == "investigating" and incident["impact"] == "minor"
    assert incident["components"][0]["status"] == "partial_outage"
    public = client.get("/api/v2/incidents/unresolved.json").get_json()["incidents"]
    assert [i["name"] for i in public] == ["Checkout fails"]
    assert "Card payments fail" in public[0]["incident_updates"][0]["body"]
    assert {u["audience"] for u in incident["updates"]} >= {"customers", "staff"}
    customers = next(u for u in incident["updates"] if u["audience"] == "customers")
    assert incident["next_update_at"] == customers["next_update_at"] == public[0]["next_update_at"]


def test_an_update_with_a_body_and_status_reaches_every_audience(api, component_id):
    incident = _declare(api, component_id)
    answer = api.send(
        "PATCH",
        f"/incidents/{incident['id']}",
        {"incident": {"status": "resolved", "body": "Payments work again.",
                      "components": {component_id: "operational"}}},
    )  # fmt: skip
    resolved = answer.get_json()
    assert answer.status_code == 200 and resolved["status"] == "resolved"
    latest = [u for u in resolved["updates"] if u["status"] == "resolved"]
    assert {u["audience"] for u in latest} == {u["audience"] for u in incident["updates"]}
    assert resolved["components"][0]["status"] == "operational"
    assert resolved["next_update_at"] is None


def test_audiences_needing_review_are_left_waiting_and_said_so(api, client, component_id):
    incident = _declare(api, component_id, impact_override="critical")
    assert {"audience": "customers"}.items() <= incident["awaiting_review"][0].items()
    assert client.get("/api/v2/incidents.json").get_json()["incidents"] == []


def test_a_form_encoded_body_reads_like_json(api, client, component_id):
    answer = client.post(
        api.url("/incidents.json"),
        headers=api.headers(),
        data={
            "incident[name]": "Search is slow",
            "incident[status]": "identified",
            "incident[body]": "An index rebuild.",
            "incident[impact_override]": "minor",
            "incident[component_ids][]": component_id,
            f"incident[components][{component_id}]": "degraded_performance",
        },
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["components"][0]["status"] == "degraded_performance"


def test_pages_of_a_list(api, app):
    with app.app_context():
        for number in range(3):
            make_component(f"Part {number}")
        db.session.commit()
    first = api.get("/components?per_page=2&page=1").get_json()
    second = api.get("/components?per_page=2&page=2").get_json()
    assert len(first) == 2 and len(second) == 1 and first[0]["id"] != second[0]["id"]


def _list_statements(app, api, incidents: int, *, named: str) -> int:
    with app.app_context():
        for number in range(incidents):
            component = make_component(f"{named} {number}")
            make_published(make_incident(affected={component: ComponentStatus.MAJOR_OUTAGE}))
        db.session.commit()
        engine = db.engine
    api.get("/incidents")  # the key's first use of the minute is also written down
    with statements_run(engine) as statements:
        listed = api.get("/incidents?per_page=100").get_json()
    assert all(document["incident_updates"] for document in listed)
    return len(statements)


def test_an_incident_list_costs_the_same_queries_however_long(app, api):
    short = _list_statements(app, api, 2, named="Before")
    assert _list_statements(app, api, 10, named="After") == short


def test_the_page_is_renamed_and_the_public_page_shows_the_new_name(api, client):
    answer = api.send("PATCH", "", {"page": {"name": "Acme Status"}})
    assert answer.status_code == 200 and answer.get_json()["name"] == "Acme Status"
    assert api.get("").get_json()["name"] == "Acme Status"
    assert "Acme Status" in client.get("/").get_data(as_text=True)


def test_a_page_whose_address_would_change_is_refused_whole(api):
    before = api.get("").get_json()["name"]
    answer = api.send("PATCH", "", {"page": {"name": "Other", "url": "https://elsewhere.example"}})
    assert answer.status_code == 422 and "STATUSPAGE_BASE_URL" in answer.get_json()["error"]
    assert api.get("").get_json()["name"] == before


def test_components_and_groups_are_made_and_changed(api):
    made = api.send("POST", "/components", {"component": {"name": "Edge", "description": "CDN"}})
    component = made.get_json()
    assert made.status_code == 201 and component["status"] == "operational"
    group = api.send(
        "POST",
        "/component-groups",
        {"description": "Core", "component_group": {"name": "Core", "components": [component["id"]]}},
    ).get_json()  # fmt: skip
    changed = api.send(
        "PATCH", f"/components/{component['id']}", {"component": {"status": "major_outage"}}
    ).get_json()
    assert changed["status"] == "major_outage" and changed["group_id"] == group["id"]
    assert api.send("DELETE", f"/components/{component['id']}").status_code == 409


def test_maintenance_is_scheduled_and_completed(api, client, component_id):
    starts = NOW + timedelta(hours=2)
    window = api.send(
        "POST",
        "/incidents",
        {"incident": {"name": "Database upgrade", "status": "scheduled",
                      "scheduled_for": starts.isoformat(),
                      "scheduled_until": (starts + timedelta(hours=1)).isoformat(),
                      "component_ids": [component_id]}},
    )  # fmt: skip
    assert window.status_code == 201, window.get_json()
    assert [w["id"] for w in api.get("/incidents/upcoming").get_json()] == [window.json["id"]]
    public = client.get("/api/v2/scheduled-maintenances/upcoming.json").get_json()
    assert [m["name"] for m in public["scheduled_maintenances"]] == ["Database upgrade"]
    started = api.send("PATCH", f"/incidents/{window.json['id']}",
                       {"incident": {"status": "in_progress"}})  # fmt: skip
    assert started.get_json()["status"] == "in_progress"
    assert len(api.get("/incidents/active_maintenance").get_json()) == 1
    done = api.send("PATCH", f"/incidents/{window.json['id']}",
                    {"incident": {"status": "completed"}})  # fmt: skip
    assert done.get_json()["status"] == "completed"


def test_subscribers_are_added_and_removed(api):
    added = api.send("POST", "/subscribers", {"subscriber": {"email": "Ops@Example.com"}})
    assert added.status_code == 201 and added.get_json()["email"] == "ops@example.com"
    assert added.get_json()["state"] == "unconfirmed"  # double opt-in, as in the console
    listed = api.get("/subscribers").get_json()
    assert [s["id"] for s in listed] == [added.get_json()["id"]]
    assert api.send("DELETE", f"/subscribers/{added.get_json()['id']}").status_code == 200
    assert api.get("/subscribers").get_json() == []


def test_without_notifications_nothing_is_queued(app, api, component_id):
    _declare(api, component_id, deliver_notifications=False)
    api.send("POST", "/subscribers", {"subscriber": {"endpoint": "https://hooks.example.com/x"}})
    with app.app_context():
        queued = db.session.scalars(sa.select(Delivery).where(Delivery.update_id.is_not(None)))
        assert list(queued) == []


def test_a_published_updates_text_is_corrected(api, client, component_id):
    incident = _declare(api, component_id)
    public = next(u for u in incident["updates"] if u["audience"] == "customers")
    answer = api.send(
        "PATCH",
        f"/incidents/{incident['id']}/incident_updates/{public['id']}",
        {"incident_update": {"body": "Card payments fail for EU customers."}},
    )
    assert answer.status_code == 200
    shown = client.get("/api/v2/incidents.json").get_json()["incidents"][0]
    assert shown["incident_updates"][0]["body"] == "Card payments fail for EU customers."


def test_a_note_goes_on_the_timeline(app, api, component_id):
    incident = _declare(api, component_id)
    answer = api.send(
        "POST", f"/incidents/{incident['id']}/notes", {"note": {"text": "Rolled back 4.2"}}
    )
    assert answer.status_code == 201
    with app.app_context():
        notes = db.session.scalars(sa.select(TimelineEvent.message)).all()
        assert "Rolled back 4.2" in notes


def test_the_timeline_reads_oldest_first_with_the_note_and_its_author(api, component_id):
    incident = _declare(api, component_id)
    note = api.send(
        "POST", f"/incidents/{incident['id']}/notes", {"note": {"text": "Rolled back 4.2"}}
    ).get_json()
    timeline = api.get(f"/incidents/{incident['id']}/timeline").get_json()
    assert timeline[0]["kind"] == "declared"
    assert timeline[-1] == note and note["actor"] == "Admin Bot"


def test_a_template_is_changed_only_to_what_renders(api, client, component_id):
    template = api.get("/incident_templates?per_page=100").get_json()[0]
    path = f"/incident_templates/{template['id']}"
    broken = api.send("PATCH", path, {"template": {"body": "{% if %}"}})
    assert broken.status_code == 422 and api.get(path).get_json() == template
    changed = api.send("PATCH", path, {"template": {"body": "Now: {{ facts }}"}})
    assert changed.status_code == 200 and changed.get_json()["body"] == "Now: {{ facts }}"
    assert changed.get_json()["title"] == template["title"]


def test_audiences_are_listed(api):
    slugs = [a["slug"] for a in api.get("/audiences").get_json()]
    assert slugs[0] == "customers" and "staff" in slugs


def test_every_write_is_audited_with_the_keys_name(app, api, keys, component_id):
    _declare(api, component_id)
    api.send("POST", "/incidents", {"incident": {"name": "x", "status": "nope"}})
    with app.app_context():
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action.startswith("api."))
        ).all()
    assert [(e.action, e.details["key"], e.details["status"]) for e in entries] == [
        ("api.post", "admin key", 201),
        ("api.post", "admin key", 422),
    ]
    assert all(e.actor_id == keys.admin_id for e in entries)


@pytest.mark.parametrize(
    ("body", "wanted"),
    [
        ({"incident": {"name": "x", "colour": "red"}}, "Unknown field incident[colour]"),
        ({"incident": {"name": "x", "status": "on fire"}}, "incident[status] must be one of"),
        ({"incident": {"name": "x", "impact_override": "huge"}}, "impact_override"),
        ({"incident": {"name": "x", "components": {"1": "broken"}}}, "incident[components]"),
        ({"incident": {"name": "x", "component_ids": ["abc"]}}, "is not an id"),
        ({"incident": {"name": 5}}, "must be a string"),
        ({"incident": {"status": "investigating"}}, "incident[name] is required"),
        ({"incidnet": {"name": "x"}}, "Unknown field"),
        ({"incident": "x"}, "must be an object"),
    ],
)
def test_bad_input_is_refused_by_name(api, body, wanted):
    answer = api.send("POST", "/incidents", body)
    assert answer.status_code == 422 and wanted in answer.get_json()["error"]


@pytest.mark.parametrize("data", ["[1, 2", "[" * 5000, '"text"', "\u0000"])
def test_a_body_that_is_not_an_object_is_refused(api, data):
    answer = api.client.post(
        api.url("/incidents"), data=data, headers=api.headers(), content_type="application/json"
    )
    assert answer.status_code == 422 and "error" in answer.get_json()


def test_unknown_records_and_other_pages_are_404(api, client, keys):
    assert api.get("/incidents/123456").status_code == 404
    other = Api(client, "0123456789ab", keys.admin).get("/incidents")
    assert other.status_code == 404 and "error" in other.get_json()


def test_keys_missing_wrong_or_revoked_are_401(app, api, client, keys):
    assert Api(client, keys.page, None).get("/incidents").status_code == 401
    assert Api(client, keys.page, "nonsense-key-0123").get("/incidents").status_code == 401
    with app.app_context():
        for key in api_keys.all_keys():
            api_keys.revoke_key(key, by=key.user, now=utcnow())
        db.session.commit()
    answer = api.get("/incidents")
    assert answer.status_code == 401 and "error" in answer.get_json()


def test_read_only_keys_and_roles_without_the_right_are_403(api, client, keys, component_id):
    reader = Api(client, keys.page, keys.read_only)
    assert reader.get("/incidents").status_code == 200
    assert reader.send("POST", "/components", {"component": {"name": "x"}}).status_code == 403
    viewer = Api(client, keys.page, keys.viewer)
    assert viewer.send("POST", "/components", {"component": {"name": "x"}}).status_code == 403
    liaison = Api(client, keys.page, keys.liaison)
    refused = liaison.send("POST", "/subscribers", {"subscriber": {"email": "a@example.com"}})
    assert refused.status_code == 403 and "error" in refused.get_json()


def test_too_many_requests_per_key_are_429_with_retry_after(app, api, client, keys):
    app.config["API_RATE_LIMIT"] = "2 per minute"
    assert [api.get("/incidents").status_code for _ in range(3)] == [200, 200, 429]
    answer = api.get("/incidents")
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1
    assert Api(client, keys.page, keys.viewer).get("/incidents").status_code == 200


def test_incidents_are_kept_not_deleted(app, api, component_id):
    incident = _declare(api, component_id)
    assert api.send("DELETE", f"/incidents/{incident['id']}").status_code == 409
    with app.app_context():
        assert db.session.get(Incident, int(incident["id"])) is not None


def test_a_second_person_publishes_an_update_left_waiting(api, client, keys, component_id):
    incident = _declare(api, component_id, impact_override="critical")
    waiting = incident["awaiting_review"][0]["update_id"]
    path = f"/incidents/{incident['id']}/incident_updates/{waiting}/publish"
    assert api.send("POST", path).status_code == 403  # its author may not approve it
    answer = Api(client, keys.page, keys.commander).send("POST", path)
    assert answer.status_code == 200 and answer.get_json()["state"] == "published"
    public = client.get("/api/v2/incidents.json").get_json()["incidents"]
    assert [i["name"] for i in public] == ["Checkout fails"]


def test_a_reviewer_sends_an_update_back_with_a_comment(api, client, keys, component_id):
    incident = _declare(api, component_id, impact_override="critical")
    waiting = incident["awaiting_review"][0]["update_id"]
    answer = Api(client, keys.page, keys.commander).send(
        "POST",
        f"/incidents/{incident['id']}/incident_updates/{waiting}/send_back",
        {"review": {"comment": "Say which regions."}},
    )
    assert answer.status_code == 200 and answer.get_json()["state"] == "draft"


def test_the_cadence_figures_of_an_incident(api, component_id):
    incident = _declare(api, component_id)
    rows = api.get(f"/incidents/{incident['id']}/cadence").get_json()
    customers = next(row for row in rows if row["audience"] == "customers")
    assert customers["time_to_first_update_seconds"] == 0 and customers["open"] == 1


def test_an_address_the_api_does_not_have_answers_in_its_error_shape(api, client):
    answer = client.get("/api/v1/nothing/here", headers=api.headers())
    assert answer.status_code == 404 and answer.get_json()["error"]


def _messages(api: Api, incident_id: str, message: dict):
    return api.send("POST", f"/incidents/{incident_id}/messages", {"message": message})


def test_each_audience_gets_its_own_text(api, client, component_id):
    incident = _declare(api, component_id)
    answer = _messages(api, incident["id"], {"status": "identified", "audiences": {
        "customers": {"body": "We found the cause; a fix is rolling out."},
        "staff": {"body": "Bad deploy of payments-api 4.2; rolling back.", "title": "Payments"}}})  # fmt: skip
    written = answer.get_json()
    assert answer.status_code == 201 and written["in_review"] == written["saved"] == []
    bodies = {u["audience"]: u["body"] for u in written["published"]}
    assert bodies == {"customers": "We found the cause; a fix is rolling out.",
                      "staff": "Bad deploy of payments-api 4.2; rolling back."}  # fmt: skip
    page = client.get("/api/v2/incidents/unresolved.json").get_json()["incidents"][0]
    assert page["status"] == "identified"
    assert page["incident_updates"][0]["body"] == "We found the cause; a fix is rolling out."
    assert "payments-api" not in client.get("/").get_data(as_text=True)


def test_drafts_are_saved_listed_and_sent_for_review(api, component_id):
    incident = _declare(api, component_id)
    saved = _messages(api, incident["id"], {"action": "save",
                      "audiences": {"executives": {"body": "Revenue impact under review."}}})  # fmt: skip
    draft = saved.get_json()["saved"][0]
    assert saved.status_code == 201 and draft["state"] == "draft"
    assert [d["id"] for d in api.get(f"/incidents/{incident['id']}/drafts").get_json()] == [
        draft["id"]
    ]
    path = f"/incidents/{incident['id']}/incident_updates/{draft['id']}/submit"
    assert api.send("POST", path).get_json()["state"] == "in_review"


def test_submitting_twice_asks_the_reviewers_once(app, api, component_id):
    incident = _declare(api, component_id)
    saved = _messages(api, incident["id"], {"action": "save",
                      "audiences": {"executives": {"body": "Revenue impact under review."}}})  # fmt: skip
    path = (
        f"/incidents/{incident['id']}/incident_updates/{saved.get_json()['saved'][0]['id']}/submit"
    )
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))
    api.send("POST", path)
    with app.app_context():
        once = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))
    with pinned(utcnow() + timedelta(minutes=2)):  # a script retrying later
        assert api.send("POST", path).get_json()["state"] == "in_review"
    with app.app_context():
        assert once > before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == once


def test_messages_by_form_read_like_json(api, client, component_id):
    incident = _declare(api, component_id)
    answer = client.post(
        api.url(f"/incidents/{incident['id']}/messages"),
        headers=api.headers(),
        data={"message[audiences][customers][body]": "Still looking.", "message[action]": "save"},
    )
    assert answer.status_code == 201 and answer.get_json()["saved"][0]["body"] == "Still looking."


@pytest.mark.parametrize(
    ("message", "wanted"),
    [
        ({"audiences": {"nobody": {"body": "x"}}}, "no audience 'nobody'"),
        ({"audiences": {"customers": {"body": "x", "colour": "red"}}},
         "Unknown field message[audiences][customers][colour]"),
        ({"audiences": {"customers": {}}}, "message[audiences][customers][body] is required"),
        ({"audiences": {}}, "needs one audience's text"),
        ({"audiences": {"customers": {"body": "x"}}, "action": "discard"}, "message[action]"),
        ({"audiences": {"customers": "x"}}, "must be an object"),
        ({"audiences": {"x" * 100_000: {"body": "x"}}}, "no audience 'xxxx"),
        ({"audiences": {"customers\u0000": {"body": "x"}}}, "control character"),
        ({"audiences": {"customers": {"body": ""}}}, "Body is required"),
    ],
)  # fmt: skip
def test_bad_messages_are_refused_by_name(api, component_id, message, wanted):
    incident = _declare(api, component_id)
    answer = _messages(api, incident["id"], message)
    assert answer.status_code == 422 and wanted in answer.get_json()["error"]
    assert len(answer.get_json()["error"]) < 300


def test_a_liaison_writes_only_to_the_audiences_they_hold(api, client, keys, component_id):
    incident = _declare(api, component_id)
    liaison = Api(client, keys.page, keys.liaison)
    answer = _messages(liaison, incident["id"], {"audiences": {"executives": {"body": "Hi."}}})
    assert answer.status_code == 403
    assert api.get(f"/incidents/{incident['id']}/drafts").get_json() == []


def test_another_incidents_update_is_not_found_here(api, component_id):
    first, second = _declare(api, component_id), _declare(api, component_id, name="Other")
    update = first["updates"][0]["id"]
    answer = api.send("POST", f"/incidents/{second['id']}/incident_updates/{update}/submit")
    assert answer.status_code == 404
