"""The feed builder: valid RSS and Atom in Statuspage's layout, stable ids, newest first."""

import dataclasses
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from markupsafe import Markup

from statuspage.core.feeds import Entry, Feed, UpdateBlock, build_feed, tag_uri, updates_html
from statuspage.core.markdown import markdown_to_html
from tests.feedcheck import check_feed, html_problems

T0 = datetime(2026, 3, 4, 14, 2, tzinfo=UTC)
FEED = Feed(
    id=tag_uri("https://status.example.com", "/history"),
    title="Acme Status - Incident History",
    page_url="https://status.example.com/",
    self_url="https://status.example.com/history.atom",
    description="Acme incident history",
    author="Acme Status",
    author_uri="https://status.example.com/",
)
ENTRIES = [
    Entry(
        tag_uri("https://status.example.com", "Incident/2"),
        "Newer",
        "https://status.example.com/incidents/2",
        T0 + timedelta(days=1),
        T0 + timedelta(days=1, hours=1),
        "<p>two</p>",
        permalink_guid=True,
    ),
    Entry(
        tag_uri("https://status.example.com", "Incident/1"),
        "Older",
        "https://status.example.com/incidents/1",
        T0,
        T0 + timedelta(hours=2),
        "<p>one &amp; more</p>",
        permalink_guid=True,
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


@pytest.mark.parametrize(
    "body",
    [Markup("A deploy is being rolled back."), markdown_to_html("A deploy is being rolled back.")],
)
def test_update_blocks_use_statuspage_markup_in_the_page_zone(body):
    html = updates_html([UpdateBlock(T0, "Identified", body)], "America/Chicago")
    assert html == (
        "<p><small>Mar <var data-var='date'>4</var>, <var data-var='time'>08:02</var> CST</small>"
        "<br><strong>Identified</strong> - A deploy is being rolled back.</p>"
    )


def test_labels_are_escaped():
    html = updates_html([UpdateBlock(T0, "<b>x</b>", Markup(""))], "Etc/UTC")
    assert "<b>" not in html


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_built_feeds_pass_the_strict_checker(fmt):
    assert check_feed(build_feed(FEED, ENTRIES, fmt)) == []
    assert check_feed(build_feed(dataclasses.replace(FEED, empty_since=T0), [], fmt)) == []


def test_the_atom_feed_names_the_page_as_its_author():
    parsed = feedparser.parse(build_feed(FEED, ENTRIES, "atom"))
    assert parsed.feed.author_detail == {
        "name": "Acme Status",
        "href": "https://status.example.com/",
    }


def test_the_rss_channel_links_to_the_page_and_the_self_link_to_the_feed():
    document = build_feed(FEED, ENTRIES, "rss")
    parsed = feedparser.parse(document)
    assert parsed.feed.link == "https://status.example.com/"
    assert (
        b'<atom:link href="https://status.example.com/history.atom" rel="self" '
        b'type="application/rss+xml"/>' in document
    )


def test_the_rss_channel_is_dated_by_its_newest_entry_or_since_when_it_is_empty():
    parsed = feedparser.parse(build_feed(FEED, ENTRIES, "rss"))
    assert parsed.feed.published_parsed[:5] == (2026, 3, 5, 15, 2)
    empty = feedparser.parse(build_feed(dataclasses.replace(FEED, empty_since=T0), [], "rss"))
    assert empty.feed.published_parsed[:5] == (2026, 3, 4, 14, 2)


def test_the_rss_description_is_plain_text_to_readers_that_take_it_as_html():
    feed = dataclasses.replace(FEED, description="Incidents of R&D <beta>")
    document = build_feed(feed, ENTRIES, "rss")
    assert b"<description>Incidents of R&amp;amp;D &amp;lt;beta&amp;gt;</description>" in document
    assert feedparser.parse(document).feed.subtitle == "Incidents of R&amp;D &lt;beta&gt;"
    atom = feedparser.parse(build_feed(feed, ENTRIES, "atom"))
    assert atom.feed.subtitle == "Incidents of R&D <beta>"  # Atom says it is text


def test_rss_guids_are_entry_ids_unless_the_url_is_the_entrys_own_permalink():
    entries = [dataclasses.replace(entry, permalink_guid=False) for entry in ENTRIES]
    entries = [dataclasses.replace(entry, url="https://status.example.com/") for entry in entries]
    parsed = feedparser.parse(build_feed(FEED, entries, "rss"))
    assert [entry.id for entry in parsed.entries] == [entry.id for entry in ENTRIES]
    assert not any(entry.guidislink for entry in parsed.entries)


MARKDOWN_BODIES = {
    "two paragraphs": "First.\n\nSecond.",
    "a list after a paragraph": "Affected:\n\n- EU\n- US",
    "a list first": "- EU\n- US",
    "a heading first": "## Cause\n\nA deploy.",
    "a code block": "Run:\n\n```\nretry --all\n```",
    "a quote": "> quoted\n\nThen this.",
    "a rule and a line break": "One\ntwo\n\n---\n\nthree",
}


@pytest.mark.parametrize("body", MARKDOWN_BODIES.values(), ids=MARKDOWN_BODIES.keys())
def test_update_blocks_hold_any_markdown_as_valid_html(body):
    html = updates_html(
        [
            UpdateBlock(T0, "Update", markdown_to_html(body)),
            UpdateBlock(T0, "Investigating", markdown_to_html(body)),
        ],
        "Etc/UTC",
    )
    assert html_problems(html) == []
    assert html.startswith("<p><small>") and html.count("<p><small>") == 2


def test_a_first_paragraph_stays_inline_and_the_other_blocks_follow():
    html = updates_html(
        [UpdateBlock(T0, "Identified", markdown_to_html("Affected:\n\n- EU\n\nMore soon."))],
        "Etc/UTC",
    )
    assert html.endswith(
        "<strong>Identified</strong> - Affected:</p><ul>\n<li>EU</li>\n</ul>\n<p>More soon.</p>"
    )


def test_a_body_starting_with_a_block_leaves_the_label_alone():
    html = updates_html([UpdateBlock(T0, "Identified", markdown_to_html("- EU"))], "Etc/UTC")
    assert "<strong>Identified</strong></p><ul>" in html


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_characters_xml_cannot_hold_are_dropped_rather_than_breaking_the_feed(fmt):
    entry = dataclasses.replace(ENTRIES[0], title="Down\uffff", content_html="<p>a\x0bb\ufffe</p>")
    document = build_feed(FEED, [entry], fmt)
    assert check_feed(document) == []
    assert feedparser.parse(document).entries[0].title == "Down"
