"""How the public pages read (issue 15): one time format in the page's zone, 24-hour, the zone
named in words, status labels capitalised; what depends on the reader (their zone, "12 min ago")
is the script's, since every reader gets the same bytes."""

from __future__ import annotations

import re

import pytest

from statuspage.core.times import zone_name
from statuspage.extensions import db
from statuspage.models import Incident, IncidentStatus
from tests.factories import make_published
from tests.helpers import page_zone

# "Dec 1, 13:04 UTC" (a year only when it is not this year's), in <time datetime="...">.
PAGE_TIME = re.compile(r"<time datetime=\"[^\"]+\">([^<]*)</time>")
ONE_FORMAT = re.compile(r"[A-Z][a-z]{2} \d{1,2}, (\d{4}, )?([01]\d|2[0-3]):[0-5]\d [A-Z]{3,5}")


@pytest.fixture
def world(public_world):
    return public_world


@pytest.mark.parametrize(
    ("zone", "name"),
    [
        ("Etc/UTC", "UTC"),
        ("UTC", "UTC"),
        ("America/New_York", "New York time"),
        ("Europe/Berlin", "Berlin time"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires time"),
    ],
)
def test_a_zone_is_named_as_people_name_it(zone, name):
    assert zone_name(zone) == name


@pytest.mark.parametrize("path", ["/", "/history", "/incidents/{open}"])
def test_every_time_on_a_page_reads_one_way(client, world, path):
    html = client.get(path.format(open=world.open_incident)).text
    times = PAGE_TIME.findall(html)
    assert times and all(ONE_FORMAT.fullmatch(t) for t in times), times
    assert not re.search(r"\d (AM|PM)\b|your time", html)  # no second, 12-hour copy


def test_the_footer_names_the_zone_in_words(client, world):
    html = client.get("/").text
    footer = html.split("<footer")[1]
    assert f"Times are shown in {zone_name(page_zone())};" in footer and "Etc/" not in footer


def test_status_labels_are_capitalised(client, world):
    page = client.get(f"/incidents/{world.open_incident}").text
    assert "API: Partial outage" in page or "API: Major outage" in page
    assert "partial outage" not in page and "major outage" not in page
    assert "<strong>Investigating</strong>" in page


def test_repeated_updates_are_labelled_with_their_status(app, client, world):
    with app.app_context():
        incident = db.session.get(Incident, world.open_incident)
        make_published(incident, body="Still on it.", status=IncidentStatus.IDENTIFIED)
        db.session.commit()
    page = client.get(f"/incidents/{world.open_incident}").text
    assert page.count("<strong>Identified</strong>") == 2
    assert "<strong>Update</strong>" not in page


def test_each_day_of_the_bars_opens_its_incidents_without_script(client, world):
    html = client.get("/").text
    days = re.findall(r'<details class="day-bar">.*?</details>', html, re.DOTALL)
    assert len(days) == 90 * 3
    linked = [day for day in days if "Dashboard slow" in day]
    assert (
        linked
        and f'<a href="/incidents/{world.resolved_incident}">Dashboard slow</a>' in (linked[0])
    )
    assert "<summary" in linked[0] and "1 incident</span></summary>" in linked[0]


def test_an_incident_page_lists_each_component_with_its_impact(client, world):
    page = client.get(f"/incidents/{world.open_incident}").text
    affected = page[page.index('id="affected"') : page.index('id="timeline"')]
    assert "API" in affected and "Impact:" in affected and "Major outage" in affected


def test_an_incident_page_offers_its_link_to_copy_and_to_follow(app, client, world):
    page = client.get(f"/incidents/{world.open_incident}").text
    address = f"{app.config['BASE_URL']}/incidents/{world.open_incident}"
    assert (
        f'<input id="permalink" class="permalink__url" type="url" value="{address}" readonly>'
        in (page)
    )
    assert 'data-copy="permalink" hidden>Copy link</button>' in page
    assert (
        f"/subscribe?incident={world.open_incident}" in page
        and "Subscribe to this incident" in (page)
    )


def test_upcoming_maintenance_stays_under_maintenance_not_in_the_history(client, world):
    upcoming = f'href="/incidents/{world.maintenance[IncidentStatus.SCHEDULED]}"'
    assert upcoming not in client.get("/history").text
    assert upcoming in client.get("/").text
    assert f'href="/incidents/{world.maintenance[IncidentStatus.COMPLETED]}"' in (
        client.get("/history").text
    )


def test_the_history_of_one_component(client, world):
    dashboard = world.public_components[1]
    html = client.get(f"/history?component={dashboard}").text
    assert "<h1>Incident history of Dashboard</h1>" in html
    assert "Dashboard slow" in html and "Elevated API errors" not in html
    assert f'<option value="{dashboard}" selected>Dashboard</option>' in html


def test_the_history_of_an_unknown_component_is_a_page_in_words(client, world):
    answer = client.get("/history?component=999999")
    assert answer.status_code == 404
    assert "There is no public component 999999" in answer.text and "NotFound" not in answer.text


def test_a_malformed_component_filter_is_refused_in_words(client, world):
    answer = client.get("/history?component=abc")
    assert answer.status_code == 422 and "component must be a whole number" in answer.text


def test_the_page_refreshes_itself_while_an_incident_is_open(client, world):
    html = client.get("/").text
    assert 'data-poll="/api/v2/status.json" defer></script>' in html
    assert '<p class="banner__meta" id="freshness" hidden></p>' in html


def test_a_calm_page_does_not_poll(app, client):
    assert "refresh.js" not in client.get("/").text
