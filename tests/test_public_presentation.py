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
