"""RSS 2.0 and Atom 1.0 documents in Statuspage's layout, built with feedgen from plain values.

build_feed never touches the request or the database: callers (public and internal feeds) hand it
ready entries, newest first, and get bytes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator
from markupsafe import Markup, escape

FeedFormat = Literal["atom", "rss"]
CONTENT_TYPES: dict[str, str] = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
}


@dataclass(frozen=True)
class Feed:
    id: str  # a stable tag URI, e.g. tag_uri(base_url, "/history")
    title: str
    page_url: str  # the HTML page the feed mirrors (rel=alternate)
    self_url: str  # where the feed itself is served (rel=self)
    description: str
    # The feed's date when it has no entries (feedgen would write the current time, so the same
    # empty feed would differ from one build to the next).
    empty_since: datetime | None = None


@dataclass(frozen=True)
class Entry:
    id: str  # stable across requests, e.g. tag_uri(base_url, "Incident/42")
    title: str
    url: str  # the incident permalink
    published: datetime
    updated: datetime  # moves forward with every new update
    content_html: str  # HTML; escaped into the document by feedgen
    # RSS readers tell items apart by guid: the permalink by default (Statuspage's history feed);
    # feeds with several items per incident give each its own (not a link, isPermaLink=false).
    rss_guid: str | None = None


@dataclass(frozen=True)
class UpdateBlock:
    """One update as it appears inside an entry: Statuspage's <p><small>…</small><br><strong>…"""

    at: datetime
    label: str  # Investigating, Identified, Update, Resolved, Scheduled, In progress ...
    body_html: Markup


def tag_uri(base_url: str, specific: str) -> str:
    """Statuspage's ids: tag:<host>,2005:<specific> (2005 is part of the format, not a date)."""
    return f"tag:{urlsplit(base_url).hostname},2005:{specific}"


def updates_html(blocks: Sequence[UpdateBlock], zone: str) -> str:
    """Entry content: each update newest first, with its label and its time in the page's zone."""
    parts = []
    for block in blocks:
        local = block.at.astimezone(ZoneInfo(zone))
        parts.append(
            f"<p><small>{local:%b} <var data-var='date'>{local.day}</var>, "
            f"<var data-var='time'>{local:%H:%M}</var> {local.tzname()}</small><br>"
            f"<strong>{escape(block.label)}</strong> - {block.body_html}</p>"
        )
    return "".join(parts)


def build_feed(feed: Feed, entries: Sequence[Entry], fmt: FeedFormat) -> bytes:
    """The feed document; entries are given newest first and kept in that order."""
    generator = FeedGenerator()
    generator.id(feed.id)
    generator.title(feed.title)
    generator.link(href=feed.page_url, rel="alternate")
    generator.link(href=feed.self_url, rel="self")
    generator.description(feed.description)
    generator.language("en-US")
    newest = max((entry.updated for entry in entries), default=feed.empty_since)
    if newest is not None:
        generator.updated(newest)
        generator.lastBuildDate(newest)
    for entry in entries:
        item = generator.add_entry(order="append")
        item.id(entry.id)
        if fmt == "rss":
            item.guid(entry.rss_guid or entry.url, permalink=entry.rss_guid is None)
        else:
            item.guid(entry.id)
        item.title(entry.title)
        item.link(href=entry.url, rel="alternate")
        item.published(entry.published)
        item.updated(entry.updated)
        if fmt == "rss":
            # RSS has one date; Statuspage moves it with each update so readers see the change.
            item.pubDate(entry.updated)
            item.description(entry.content_html)
        else:
            item.content(entry.content_html, type="html")
    if fmt == "rss":
        return generator.rss_str(pretty=False)
    return generator.atom_str(pretty=False)
