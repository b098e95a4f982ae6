"""Write once, lose nothing: messages nobody edited follow the facts, status and components, also
without JavaScript; a message typed by hand stays as typed and says so; sending a message that
lacks the facts asks first."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import Role, Severity, Update, UpdateState
from tests.console import act_as
from tests.factories import audience, make_incident, make_user
from tests.formparse import read_page

FACTS = "A deploy broke the search index; we are rolling it back."


@pytest.fixture
def writing(app, client):
    """A SEV3 incident (no review) and a commander, signed in, who writes to every audience."""
    with app.app_context():
        commander = make_user(Role.COMMANDER, name="Cora")
        incident = make_incident(severity=Severity.SEV3, title="Search down")
        db.session.commit()
        incident_id, commander_id = incident.id, commander.id
    act_as(client, commander_id)
    return incident_id


def compose_form(client, incident_id, path=None):
    """The compose form's fields, as a browser would send them."""
    url = path or f"/admin/incidents/{incident_id}/compose"
    html = client.get(url).get_data(as_text=True)
    forms, _ = read_page(url, html)
    [form] = [f for f in forms if f.action.endswith("/compose")]
    return dict(form.fields)


def published_bodies(app) -> dict[str, str]:
    with app.app_context():
        updates = db.session.scalars(
            sa.select(Update).where(Update.state == UpdateState.PUBLISHED)
        ).all()
        return {update.audience.slug: update.body for update in updates}


def key(app, slug: str) -> str:
    with app.app_context():
        return f"audience-{audience(slug).id}"


def test_facts_typed_then_publish_reach_every_chosen_audience(app, client, writing):
    fields = compose_form(client, writing) | {"facts": FACTS, "action": "publish"}
    answer = client.post(f"/admin/incidents/{writing}/compose", data=fields)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    bodies = published_bodies(app)
    chosen = [name.removesuffix("-send") for name in fields if name.endswith("-send")]
    assert len(bodies) == len(chosen) > 1
    assert all(FACTS in body for body in bodies.values()), bodies


def test_a_message_typed_by_hand_stays_as_typed(app, client, writing):
    customers = key(app, "customers")
    own = f"Our own words. {FACTS}"
    fields = compose_form(client, writing) | {
        "facts": FACTS,
        "action": "publish",
        f"{customers}-body": own,
    }
    assert client.post(f"/admin/incidents/{writing}/compose", data=fields).status_code == 302
    assert published_bodies(app)["customers"] == own


def test_a_message_edited_before_stays_edited_and_is_marked(app, client, writing):
    customers = key(app, "customers")
    fields = compose_form(client, writing) | {
        "facts": "First facts.",
        "action": "preview",
        f"{customers}-body": "Typed by hand.",
    }
    page = client.post(f"/admin/incidents/{writing}/compose", data=fields).get_data(as_text=True)
    assert "edited by hand" in page
    [form] = [f for f in read_page("/x/compose", page)[0] if f.action.endswith("/compose")]
    again = dict(form.fields)
    assert again[f"{customers}-body"] == "Typed by hand." and again[f"{customers}-edited"] == "1"


def test_sending_a_message_without_the_facts_asks_first(app, client, writing):
    customers = key(app, "customers")
    fields = compose_form(client, writing) | {
        "facts": FACTS,
        "action": "publish",
        f"{customers}-body": "Something else entirely.",
    }
    answer = client.post(f"/admin/incidents/{writing}/compose", data=fields)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "is not in the message to" in page
    assert "Customers" in page.split('id="lacking-facts"')[1].split("</div>")[0]
    assert published_bodies(app) == {}
    fields.pop("action")
    fields["without_facts"] = "publish"
    assert client.post(f"/admin/incidents/{writing}/compose", data=fields).status_code == 302
    assert published_bodies(app)["customers"] == "Something else entirely."


def test_the_messages_follow_the_facts_while_they_are_typed(app, client, writing):
    fields = compose_form(client, writing)
    answer = client.post(
        f"/admin/incidents/{writing}/compose/drafts",
        data={"csrf_token": fields["csrf_token"], "status": "identified", "facts": FACTS},
    )
    drafts = answer.get_json()["drafts"]
    assert len(drafts) > 1 and all(FACTS in draft["body"] for draft in drafts)
    assert all(FACTS in draft["html"] for draft in drafts)


DETAILS = "Provider: Elastic Cloud; their ticket 4411."


def test_internal_details_reach_staff_audiences_only(app, client, writing):
    fields = compose_form(client, writing) | {
        "facts": FACTS,
        "internal_details": DETAILS,
        "action": "publish",
    }
    assert client.post(f"/admin/incidents/{writing}/compose", data=fields).status_code == 302
    bodies = published_bodies(app)
    assert DETAILS not in bodies["customers"] and FACTS in bodies["customers"]
    staff = {slug: body for slug, body in bodies.items() if slug != "customers"}
    assert staff and all(DETAILS in body for body in staff.values()), staff


def test_staff_titles_carry_the_working_title(app, client, writing):
    with app.app_context():
        from statuspage.models import Incident

        db.session.get(Incident, writing).public_title = "Search is slow"
        db.session.commit()
    fields = compose_form(client, writing) | {"facts": FACTS, "action": "publish"}
    assert client.post(f"/admin/incidents/{writing}/compose", data=fields).status_code == 302
    with app.app_context():
        titles = {
            u.audience.slug: u.title
            for u in db.session.scalars(sa.select(Update).where(Update.state == "published"))
        }
    assert titles["customers"] == "Search is slow"
    assert "Search down" in titles["executives"] and "Search is slow" not in titles["executives"]
