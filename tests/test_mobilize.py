"""Mobilize: whoever is put on an incident's roster is emailed at once, with the link and what
their duty asks, at a real SMTP server; nobody is emailed about a duty they took themselves."""

from __future__ import annotations

import pytest

from statuspage.extensions import db
from statuspage.models import Role
from tests.console import act_as, csrf_token
from tests.factories import make_user
from tests.mail import text_part
from tests.outbox import deliver


@pytest.fixture
def people(app, client, mail_sink):
    app.config["SMTP_URL"] = mail_sink.url
    with app.app_context():
        cora = make_user(Role.COMMANDER, name="Cora", email="cora@example.com")
        lia = make_user(Role.LIAISON, name="Lia", email="lia@example.com")
        eve = make_user(Role.VIEWER, name="Eve", email="eve@example.com")
        db.session.commit()
        ids = {"cora": cora.id, "lia": lia.id, "eve": eve.id}
    act_as(client, ids["cora"])
    return ids


def declare_with_roster(client, people):
    answer = client.post(
        "/admin/incidents/new",
        data={
            "csrf_token": csrf_token(client),
            "title": "Card payments failing",
            "severity": "SEV1",
            "roster-commander": people["cora"],
            "roster-customer_liaison": people["lia"],
            "roster-expert": people["eve"],
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    return answer.headers["Location"]


def test_each_person_put_on_the_roster_is_emailed_their_duty_and_the_link(
    app, client, mail_sink, people
):
    location = declare_with_roster(client, people)
    deliver(app)
    [lia] = mail_sink.to("lia@example.com")
    assert lia["Subject"] == "You are customer liaison on Card payments failing (SEV1)"
    assert "Cora made you customer liaison" in text_part(lia)
    incident_link = "http://status.test" + location.split("/compose")[0]
    assert "next update" in text_part(lia) and incident_link in text_part(lia)
    [eve] = mail_sink.to("eve@example.com")
    assert "You are expert" in eve["Subject"] and "report what you find" in text_part(eve)


def test_nobody_is_emailed_about_a_duty_they_took_themselves(app, client, mail_sink, people):
    declare_with_roster(client, people)
    deliver(app)
    assert mail_sink.to("cora@example.com") == []


def test_whoever_notices_first_may_declare(app, client, people):
    act_as(client, people["eve"])  # a viewer
    page = client.get("/admin/incidents/new")
    assert page.status_code == 200
    assert "SEV1: critical: a core service is down" in page.text


def test_an_organisation_may_keep_declaring_to_commanders(app, client, people):
    app.config["ANYONE_MAY_DECLARE"] = False
    act_as(client, people["lia"])
    assert client.get("/admin/incidents/new").status_code == 403
    assert "Declare an incident" not in client.get("/admin/").text
    act_as(client, people["cora"])
    assert client.get("/admin/incidents/new").status_code == 200
