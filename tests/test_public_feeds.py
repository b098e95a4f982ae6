"""Public feeds (history and updates, RSS and Atom) and the maintenance calendar."""

import html
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import feedparser
import pytest
from icalendar import Calendar

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import IncidentStatus, Severity
from tests.factories import NOW, make_component, make_incident, make_maintenance, make_published
from tests.feedcheck import check_feed
from tests.helpers import page_zone

FEEDS = ["/history.atom", "/history.rss", "/updates.atom", "/updates.rss"]


@pytest.fixture
def world(public_world):
    return public_world


def parse(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


@pytest.mark.parametrize("path", FEEDS)
def test_feeds_parse_cleanly_with_stable_ids_newest_first(client, world, path):
    first, second = parse(client, path), parse(client, path)
    assert [e.id for e in first.entries] == [e.id for e in second.entries]
    assert len({e.id for e in first.entries}) == len(first.entries) > 0
    times = [
        e.updated_parsed if "updated_parsed" in e else e.published_parsed for e in first.entries
    ]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize("path", FEEDS)
def test_every_entry_links_to_its_incident_permalink(client, world, path):
    for entry in parse(client, path).entries:
        assert entry.link.startswith("http://status.test/incidents/")


def test_the_history_feed_has_one_entry_per_incident_or_maintenance(client, world):
    entries = parse(client, "/history.atom").entries
    ids = [e.id for e in entries]
    assert f"tag:status.test,2005:Incident/{world.open_incident}" in ids
    assert f"tag:status.test,2005:Incident/{world.maintenance[IncidentStatus.COMPLETED]}" in ids
    assert len(ids) == 2 + len(world.maintenance)


def test_history_entries_hold_every_update_newest_first_in_statuspage_markup(client, world):
    entry = next(
        e
        for e in parse(client, "/history.atom").entries
        if e.id.endswith(f"Incident/{world.open_incident}")
    )
    content = entry.content[0].value
    assert content.startswith("<p><small>")
    assert content.index("<strong>Identified</strong>") < content.index(
        "<strong>Investigating</strong>"
    )
    identified_at = world.now - timedelta(minutes=10)  # the newest update, shown in the page zone
    assert f" {identified_at.astimezone(ZoneInfo(page_zone())).tzname()}</small>" in content


def test_an_entry_moves_forward_with_each_update(app, client):
    with app.app_context():
        incident = make_incident(severity=Severity.SEV3, now=utcnow() - timedelta(hours=2))
        make_published(incident, now=utcnow() - timedelta(hours=2))
        db.session.commit()
        incident_id = incident.id
    before = parse(client, "/history.atom").entries[0]
    with app.app_context():
        incident = db.session.get(type(incident), incident_id)
        make_published(incident, now=utcnow() - timedelta(hours=1), status=IncidentStatus.RESOLVED)
        db.session.commit()
    after = parse(client, "/history.atom").entries[0]
    assert after.id == before.id and after.updated_parsed > before.updated_parsed


def test_the_updates_feed_has_one_entry_per_public_update(client, world):
    titles = [e.title for e in parse(client, "/updates.rss").entries]
    assert "Elevated API errors: Identified" in titles
    assert "Elevated API errors: Investigating" in titles


@pytest.mark.parametrize("kind", ["history", "updates"])
def test_a_feed_can_follow_one_component(app, client, kind):
    with app.app_context():
        api, search = make_component("API"), make_component("Search")
        for name, component in (("API down", api), ("Search slow", search)):
            make_published(make_incident(title=name, affected={component: "partial_outage"}))
        db.session.commit()
        api_id = api.id
    entries = parse(client, f"/{kind}.atom?component={api_id}").entries
    assert entries and all(e.title.startswith("API down") for e in entries)


def test_following_an_internal_or_unknown_component_is_not_found(client, app, world):
    with app.app_context():
        from statuspage.models import Component

        internal = db.session.query(Component).filter_by(name="Deploy pipeline").one().id
    assert client.get(f"/history.atom?component={internal}").status_code == 404
    assert client.get("/history.atom?component=999999").status_code == 404
    assert client.get("/history.atom?component=api").status_code == 422
    assert client.get("/history.json").status_code == 404


def calendar(client):
    response = client.get("/maintenance.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def test_the_calendar_has_one_event_per_public_window_in_utc(client, world):
    events = calendar(client).walk("VEVENT")
    assert len(events) == len(world.maintenance)
    for event in events:
        assert event.decoded("dtstart").tzinfo is not None
        assert event.decoded("dtstart").utcoffset() == timedelta(0)
        assert "DTSTART:" in event.to_ical().decode() and "Z\r\n" in event.to_ical().decode()
        assert event.decoded("dtend") > event.decoded("dtstart")


def test_calendar_events_keep_their_uid_and_bump_their_sequence_on_change(app, client):
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    with app.app_context():
        window = make_maintenance(title="Upgrade", starts=start, now=utcnow())
        make_published(window, status=IncidentStatus.SCHEDULED, now=utcnow())
        db.session.commit()
        window_id = window.id
    (before,) = calendar(client).walk("VEVENT")
    with app.app_context():
        window = db.session.get(type(window), window_id)
        window.scheduled_for = start + timedelta(hours=1)
        window.scheduled_until = start + timedelta(hours=3)
        make_published(window, status=IncidentStatus.SCHEDULED, now=utcnow(), body="Moved.")
        db.session.commit()
    (after,) = calendar(client).walk("VEVENT")
    assert str(after["uid"]) == str(before["uid"])
    assert after.decoded("sequence") > before.decoded("sequence")
    assert after.decoded("dtstart") == (start + timedelta(hours=1)).astimezone(UTC)


def test_windows_nobody_outside_was_told_about_stay_off_the_calendar(app, client):
    with app.app_context():
        make_maintenance(now=utcnow(), starts=utcnow() + timedelta(days=1))
        db.session.commit()
    assert calendar(client).walk("VEVENT") == []


# What the standard validators ask of every feed (issue 10).


def feed_paths(world, fmt):
    """Both feeds, for the whole page and for its first public component (the API)."""
    query = f"?component={world.public_components[0]}"
    return [f"/{kind}.{fmt}{q}" for kind in ("history", "updates") for q in ("", query)]


def test_atom_feeds_name_the_page_as_their_author(client, world):
    for path in feed_paths(world, "atom"):
        parsed = parse(client, path)
        assert parsed.feed.author_detail == {"name": "Acme Status", "href": "http://status.test/"}


def test_the_rss_channel_links_to_the_page_not_to_the_feed(client, world):
    for path in feed_paths(world, "rss"):
        assert parse(client, path).feed.link == "http://status.test/"


def test_the_rss_channel_is_dated_by_its_newest_update(client, world):
    for path in feed_paths(world, "rss"):
        channel = parse(client, path).feed
        newest = world.now - timedelta(minutes=10)  # the open incident's "identified" update
        assert channel.published_parsed[:6] == newest.utctimetuple()[:6]  # <pubDate>
        assert channel.published_parsed == channel.updated_parsed  # <lastBuildDate>


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_markdown_blocks_in_an_update_stay_out_of_statuspages_paragraph(app, client, fmt):
    body = "Two causes:\n\n- a deploy\n- a cache\n\n## Next\n\n```\nretry\n```\n\nThanks."
    with app.app_context():
        incident = make_incident(title="Blocks", now=NOW - timedelta(hours=1))
        make_published(incident, body=body, now=NOW - timedelta(minutes=5))
        db.session.commit()
    for path in (f"/history.{fmt}", f"/updates.{fmt}"):
        document = client.get(path).data
        entry = feedparser.parse(document).entries[0]
        content = entry.content[0].value if fmt == "atom" else entry.description
        assert "<strong>Investigating</strong> - Two causes:</p><ul>" in content
        assert "<h2>Next</h2>" in content and "<pre><code>retry" in content
        assert check_feed(document) == []


def test_a_component_name_reaches_rss_readers_as_plain_text(app, client):
    with app.app_context():
        component = make_component("R&D <beta>")
        make_published(make_incident(affected={component: "partial_outage"}, now=NOW), now=NOW)
        db.session.commit()
        component_id = component.id
    for kind in ("history", "updates"):
        document = client.get(f"/{kind}.rss?component={component_id}").data
        description = feedparser.parse(document).feed.subtitle  # HTML, as readers take it
        assert html.unescape(description).endswith("of Acme Status (R&D <beta>)")
        assert check_feed(document) == []
