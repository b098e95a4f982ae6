"""The audit trail: every console change by whom and when, filterable."""

from __future__ import annotations

from datetime import timedelta

from statuspage.extensions import db
from statuspage.models import Role
from statuspage.services.records import record_audit
from tests.console import act_as, csrf_token
from tests.factories import NOW, make_user
from tests.helpers import form_time


def test_console_changes_are_audited_and_filterable(app, client):
    with app.app_context():
        ada, cora = make_user(Role.ADMIN, name="Ada"), make_user(Role.COMMANDER, name="Cora")
        record_audit(cora, "incident.declare", "incident", 7, now=NOW - timedelta(days=3))
        db.session.commit()
        ada_id, cora_id = ada.id, cora.id
    act_as(client, ada_id)
    client.post(
        "/admin/groups/new",
        data={"csrf_token": csrf_token(client), "name": "Edge", "visibility": "public"},
    )
    everything = client.get("/admin/audit").get_data(as_text=True)
    assert "group.create" in everything and "incident.declare" in everything
    by_cora = client.get(f"/admin/audit?actor={cora_id}").get_data(as_text=True)
    assert "incident.declare" in by_cora and "group.create" not in by_cora
    groups = client.get("/admin/audit?target=group").get_data(as_text=True)
    assert "group.create" in groups and "incident.declare" not in groups
    recent = client.get("/admin/audit?since=" + form_time(NOW - timedelta(days=1))).get_data(
        as_text=True
    )
    assert "incident.declare" not in recent


def test_a_garbled_date_filter_is_a_clear_4xx(app, client):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        db.session.commit()
        admin_id = admin.id
    act_as(client, admin_id)
    response = client.get("/admin/audit?since=yesterday")
    assert response.status_code == 422 and "is not a date and time" in response.get_data(
        as_text=True
    )
