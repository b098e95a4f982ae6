"""Acceptance 6: two people save the same draft or incident; the second is refused, told what the
first did, and loses nothing."""

from __future__ import annotations

import re

import pytest

from statuspage.extensions import db
from statuspage.models import Incident, IncidentStatus, Role, RosterRole, Update
from tests.console import act_as, csrf_token
from tests.factories import make_draft, make_incident, make_user


@pytest.fixture
def draft(app):
    with app.app_context():
        liaison = make_user(Role.LIAISON, name="Lia")
        commander = make_user(Role.COMMANDER, name="Cora")
        incident = make_incident(roster=[(RosterRole.CUSTOMER_LIAISON, liaison)])
        update = make_draft(incident, "customers", by=liaison, body="First words.")
        db.session.commit()
        return {"update": update.id, "liaison": liaison.id, "commander": commander.id}


def loaded_version(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)


def save(client, update_id, version, body):
    return client.post(
        f"/admin/updates/{update_id}",
        data={
            "csrf_token": csrf_token(client),
            "version": version,
            "title": "Checkout failing",
            "body": body,
            "action": "save",
        },
    )


def stored(app, model, object_id):
    with app.app_context():
        return db.session.get(model, object_id)


def test_the_second_save_of_a_draft_is_refused_and_nothing_is_lost(app, draft):
    first, second = app.test_client(), app.test_client()
    act_as(first, draft["liaison"])
    act_as(second, draft["commander"])
    path = f"/admin/updates/{draft['update']}"
    first_version, second_version = loaded_version(first, path), loaded_version(second, path)

    assert save(first, draft["update"], first_version, "Lia's words.").status_code == 302
    conflict = save(second, draft["update"], second_version, "Cora's words.")

    assert conflict.status_code == 409
    html = conflict.get_data(as_text=True)
    assert "someone else saved this draft first" in html
    assert "Lia&#39;s words." in html  # theirs, shown
    assert "Cora&#39;s words." in html  # mine, still in the form
    assert stored(app, Update, draft["update"]).body == "Lia's words."

    # Saving again from the conflict page is deliberate: it replaces theirs.
    again = re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)
    assert save(second, draft["update"], again, "Both our words.").status_code == 302
    assert stored(app, Update, draft["update"]).body == "Both our words."


def test_the_second_incident_edit_is_refused_with_the_first_ones_changes(app):
    with app.app_context():
        commander, other = make_user(Role.COMMANDER, name="Cora"), make_user(Role.ADMIN, name="Ada")
        incident = make_incident(title="Slow API")
        db.session.commit()
        ids = (incident.id, commander.id, other.id)
    incident_id, commander_id, other_id = ids
    first, second = app.test_client(), app.test_client()
    act_as(first, commander_id)
    act_as(second, other_id)
    path = f"/admin/incidents/{incident_id}"
    forms = []
    for client in (first, second):
        html = client.get(path).get_data(as_text=True)
        forms.append(
            {
                "version": re.search(r'name="version"[^>]*value="(\d+)"', html).group(1),
                "loaded_at": re.search(r'name="loaded_at"[^>]*value="([^"]+)"', html).group(1),
            }
        )

    status = first.post(
        f"{path}/status",
        data={"csrf_token": csrf_token(first), "status": "monitoring", **forms[0]},
    )
    assert status.status_code == 302
    conflict = second.post(
        f"{path}/details",
        data={"csrf_token": csrf_token(second), "title": "Renamed", "severity": "SEV1", **forms[1]},
    )

    assert conflict.status_code == 409
    html = conflict.get_data(as_text=True)
    assert "someone else changed this incident" in html
    assert "Cora set it to Monitoring." in html
    saved = stored(app, Incident, incident_id)
    assert (saved.title, saved.status) == ("Slow API", IncidentStatus.MONITORING)


def test_a_form_without_a_version_is_treated_as_stale(app, draft):
    client = app.test_client()
    act_as(client, draft["liaison"])
    response = client.post(
        f"/admin/updates/{draft['update']}",
        data={"csrf_token": csrf_token(client), "title": "T", "body": "B", "action": "save"},
    )
    assert response.status_code == 409


def test_a_save_racing_past_the_version_check_is_stopped_by_the_version_column(app, draft):
    from sqlalchemy.orm.exc import StaleDataError

    from statuspage.views.errors import _stale_data

    with app.app_context():
        mine = db.session.get(Update, draft["update"])
        with db.engine.begin() as other:  # someone else's save lands after my check
            other.execute(
                Update.__table__.update()
                .where(Update.id == draft["update"])
                .values(body="Theirs.", version=Update.version + 1)
            )
        mine.body = "Mine."
        with pytest.raises(StaleDataError) as race:
            db.session.commit()
        with app.test_request_context("/admin/updates/1", method="POST"):
            assert _stale_data(race.value)[1] == 409
    assert stored(app, Update, draft["update"]).body == "Theirs."
