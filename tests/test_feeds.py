"""The feed builder: valid RSS and Atom in Statuspage's layout, stable ids, newest first."""

from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from markupsafe import Markup

from statuspage.feeds import Entry, Feed, UpdateBlock, build_feed, tag_uri, updates_html

T0 = datetime(2026, 3, 4, 14, 2, tzinfo=UTC)
FEED = Feed(
    id=tag_uri("https://status.example.com", "/history"),
    title="Acme Status - Incident History",
    page_url="https://status.example.com",
    self_url="https://status.example.com/history.atom",
    description="Acme incident history",
)
ENTRIES = [
    Entry(
        tag_uri("https://status.example.com", "Incident/2"),
        "Newer",
        "https://status.example.com/incidents/2",
        T0 + timedelta(days=1),
        T0 + timedelta(days=1, hours=1),
        "<p>two</p>",
    ),
    Entry(
        tag_uri("https://status.example.com", "Incident/1"),
        "Older",
        "https://status.example.com/incidents/1",
        T0,
        T0 + timedelta(hours=2),
        "<p>one &amp; more</p>",
    ),
]


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_feeds_parse_cleanly_newest_first(fmt):
    parsed = feedparser.parse(build_feed(FEED, ENTRIES, fmt))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [entry.title for entry in parsed.entries] == ["Newer", "Older"]
    assert parsed.entries[0].link == "https://status.example.com/incidents/2"


def test_atom_ids_and_dates_follow_statuspage():
    parsed = feedparser.parse(build_feed(FEED, ENTRIES, "atom"))
    assert parsed.feed.id == "tag:status.example.com,2005:/history"
    assert parsed.entries[1].id == "tag:status.example.com,2005:Incident/1"
    assert parsed.entries[1].updated_parsed[:5] == (2026, 3, 4, 16, 2)
    assert parsed.feed.updated_parsed[:5] == (2026, 3, 5, 15, 2)  # the newest entry's update


def test_rss_guid_is_the_permalink_and_pubdate_moves_with_updates():
    parsed = feedparser.parse(build_feed(FEED, ENTRIES, "rss"))
    assert parsed.entries[1].id == "https://status.example.com/incidents/1"
    assert parsed.entries[1].published_parsed[:5] == (2026, 3, 4, 16, 2)


def test_entries_are_the_same_on_every_build():
    assert (
        feedparser.parse(build_feed(FEED, ENTRIES, "atom")).entries
        == feedparser.parse(build_feed(FEED, ENTRIES, "atom")).entries
    )


def test_update_blocks_use_statuspage_markup_in_the_page_zone():
    html = updates_html(
        [UpdateBlock(T0, "Identified", Markup("A deploy is being rolled back."))],
        "America/Chicago",
    )
    assert html == (
        "<p><small>Mar <var data-var='date'>4</var>, <var data-var='time'>08:02</var> CST</small>"
        "<br><strong>Identified</strong> - A deploy is being rolled back.</p>"
    )


def test_labels_are_escaped():
    html = updates_html([UpdateBlock(T0, "<b>x</b>", Markup(""))], "Etc/UTC")
    assert "<b>" not in html
