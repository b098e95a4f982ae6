"""The internal page and the internal feeds behind each person's rotatable secret."""

from __future__ import annotations

import feedparser
import pytest

from statuspage.extensions import db
from statuspage.models import Role, Severity, Visibility
from statuspage.services import accounts
from tests.console import act_as, csrf_token, user
from tests.factories import (
    NOW,
    make_component,
    make_draft,
    make_incident,
    make_published,
    make_user,
)
from tests.feedcheck import check_feed


@pytest.fixture
def staff(app):
    with app.app_context():
        person = make_user(Role.VIEWER, name="Vic")
        make_component("Billing worker", visibility=Visibility.INTERNAL)
        incident = make_incident(severity=Severity.SEV2, title="Payments delayed")
        make_published(incident, "customers", body="Payments are delayed.")
        make_published(incident, "executives", body="Exposure: 300 merchants.")
        make_draft(incident, "staff", body="Unpublished staff draft.")
        token = accounts.rotate_feed_token(person, now=NOW)
        db.session.commit()
        return {"user": person.id, "token": token, "incident": incident.id}


def test_the_internal_page_shows_internal_components_and_every_audience(client, staff):
    act_as(client, staff["user"])
    html = client.get("/internal").get_data(as_text=True)
    assert "Billing worker" in html and "internal only" in html
    assert "Payments are delayed." in html and "Exposure: 300 merchants." in html
    assert "Unpublished staff draft." not in html
    assert "Next update by" in html


def test_the_internal_page_needs_a_sign_in(client):
    response = client.get("/internal")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_the_update_stream_has_every_audience_and_no_drafts(client, staff, fmt):
    response = client.get(f"/internal/feeds/{staff['token']}/updates.{fmt}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    titles = [entry.title for entry in parsed.entries]
    assert any(t.startswith("[Executives]") for t in titles)
    assert any(t.startswith("[Customers]") for t in titles)
    assert b"Unpublished staff draft." not in response.data


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_one_incidents_history_feed(client, staff, fmt):
    response = client.get(f"/internal/feeds/{staff['token']}/incidents/{staff['incident']}.{fmt}")
    parsed = feedparser.parse(response.data)
    assert response.status_code == 200 and len(parsed.entries) == 2


def test_a_wrong_token_finds_nothing(client, staff):
    assert client.get("/internal/feeds/not-the-token/updates.atom").status_code == 404


def test_rotating_the_token_stops_the_old_one_at_once(app, client, staff):
    act_as(client, staff["user"])
    response = client.post("/admin/profile/feed-token", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert client.get(f"/internal/feeds/{staff['token']}/updates.atom").status_code == 404
    with app.app_context():
        new_token = user(staff["user"]).feed_token
    assert new_token != staff["token"]
    assert client.get(f"/internal/feeds/{new_token}/updates.atom").status_code == 200
    assert new_token in client.get("/admin/profile").get_data(as_text=True)


def test_a_deactivated_accounts_feeds_stop(app, client, staff):
    with app.app_context():
        user(staff["user"]).is_active = False
        db.session.commit()
    assert client.get(f"/internal/feeds/{staff['token']}/updates.rss").status_code == 404


def test_the_feed_secret_never_reaches_the_logs(app, client, staff, caplog):
    with caplog.at_level("INFO", logger="statuspage.request"):
        client.get(f"/internal/feeds/{staff['token']}/updates.atom")
    paths = [getattr(record, "path", "") for record in caplog.records]
    assert "/internal/feeds/<token>/updates.atom" in paths
    assert staff["token"] not in caplog.text


def test_every_rss_item_has_its_own_stable_guid(client, staff):
    path = f"/internal/feeds/{staff['token']}/updates.rss"
    first, second = feedparser.parse(client.get(path).data), feedparser.parse(client.get(path).data)
    guids = [entry.id for entry in first.entries]
    assert len(set(guids)) == len(guids) == 2
    assert guids == [entry.id for entry in second.entries]
    assert all(entry.guidislink is False for entry in first.entries)


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_internal_entries_link_to_their_incident_in_the_console(client, staff, fmt):
    response = client.get(f"/internal/feeds/{staff['token']}/updates.{fmt}")
    links = {entry.link for entry in feedparser.parse(response.data).entries}
    assert links == {f"http://localhost/admin/incidents/{staff['incident']}"}
    assert check_feed(response.data) == []


@pytest.fixture
def briefed(app):
    """A SEV1 on the public API with Cora commanding, customers told once; a SEV3 resolved
    yesterday."""
    from datetime import timedelta

    from statuspage.models import ComponentStatus, IncidentStatus, RosterRole
    from statuspage.services.incidents import lifecycle

    with app.app_context():
        reader = make_user(Role.VIEWER, name="Vic")
        cora = make_user(Role.COMMANDER, name="Cora")
        api = make_component("Public API")
        incident = make_incident(
            severity=Severity.SEV1,
            title="API down",
            affected={api: ComponentStatus.MAJOR_OUTAGE},
            roster=[(RosterRole.COMMANDER, cora)],
        )
        make_published(incident, "customers", body="We are on it.")
        old = make_incident(
            severity=Severity.SEV3, title="Slow exports", now=NOW - timedelta(days=1, hours=2)
        )
        lifecycle.change_status(old, IncidentStatus.RESOLVED, by=None, now=NOW - timedelta(days=1))
        db.session.commit()
        return reader.id


def test_each_open_incident_has_a_four_line_briefing(client, briefed):
    act_as(client, briefed)
    html = client.get("/internal").get_data(as_text=True)
    briefing = html[html.index('<dl class="briefing">') : html.index("</dl>")]
    assert "SEV1 (critical impact) for" in briefing
    assert "Public API (major outage); customers told “Investigating” at" in briefing
    assert " by " in briefing and "due in" in briefing and "Commander Cora" in briefing


def test_incidents_resolved_in_the_last_week_are_listed(client, briefed):
    act_as(client, briefed)
    html = client.get("/internal").get_data(as_text=True)
    resolved = html[html.index('id="resolved-heading"') :]
    assert "Slow exports" in resolved and "after 2 h" in resolved


def test_the_internal_page_reloads_itself_and_says_as_of_when(client, briefed):
    act_as(client, briefed)
    html = client.get("/internal").text
    assert 'data-auto-refresh="60"' in html and "As of " in html and "Pause reloading" in html
