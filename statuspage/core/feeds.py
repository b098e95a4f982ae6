"""RSS 2.0 and Atom 1.0 documents in Statuspage's layout, built with feedgen from plain values.

build_feed never touches the request or the database: callers (public and internal feeds) hand it
ready entries, newest first, and get bytes back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from markupsafe import Markup, escape

from statuspage.core.times import feed_datetime

FeedFormat = Literal["atom", "rss"]
MEDIA_TYPES: dict[str, str] = {"atom": "application/atom+xml", "rss": "application/rss+xml"}
CONTENT_TYPES: dict[str, str] = {fmt: f"{kind}; charset=utf-8" for fmt, kind in MEDIA_TYPES.items()}


@dataclass(frozen=True)
class Feed:
    id: str  # a stable tag URI, e.g. tag_uri(base_url, "/history")
    title: str  # plain text
    page_url: str  # the HTML page the feed mirrors (rel=alternate, the RSS channel link)
    self_url: str  # where the feed itself is served (rel=self)
    description: str  # plain text
    author: str  # who publishes it: the page's name (Atom needs an author)
    author_uri: str  # and the page's address
    # The feed's date when it has no entries (feedgen would write the current time, so the same
    # empty feed would differ from one build to the next).
    empty_since: datetime | None = None
    language: str = "en"  # the page's language, as <html lang> names it


@dataclass(frozen=True)
class Entry:
    id: str  # stable across requests and unique in the feed, e.g. tag_uri(base_url, "Incident/42")
    title: str  # plain text
    url: str  # the incident permalink
    published: datetime
    updated: datetime  # moves forward with every new update
    content_html: str  # HTML; escaped into the document by feedgen
    # RSS readers tell items apart by guid: the id (isPermaLink=false), unless the url is this
    # entry's own permalink, as in Statuspage's history feed (one entry per incident).
    permalink_guid: bool = False


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
    """Entry content: each update newest first, with its label and its time in the page's zone.

    Each update is Statuspage's paragraph, "<p><small>time</small><br><strong>Label</strong> -
    first paragraph</p>", followed by the rest of its Markdown (lists, code, headings, more
    paragraphs): a <p> may hold phrasing content only, so those cannot go inside it.
    """
    return "".join(_update_html(block, zone) for block in blocks)


def _update_html(block: UpdateBlock, zone: str) -> str:
    lead, rest = _split_body(block.body_html)
    return (
        f"<p><small>{feed_datetime(block.at, zone)}</small><br>"
        f"<strong>{escape(block.label)}</strong>{f' - {lead}' if lead else ''}</p>{rest}"
    )


# Markdown's HTML (cleaned, so a <p> has no attributes) starts with a paragraph, another block, or
# (for callers that pass inline HTML) neither.
_FIRST_PARAGRAPH = re.compile(r"\s*<p>(.*?)</p>\s*", re.DOTALL)
_FIRST_BLOCK = re.compile(r"\s*<(?:blockquote|div|h[1-6]|hr|ol|p|pre|table|ul)\b")


def _split_body(body: str) -> tuple[str, str]:
    """The inline lead of an update's body (its first paragraph's content) and the blocks after."""
    paragraph = _FIRST_PARAGRAPH.match(body)
    if paragraph is not None:
        return paragraph.group(1).strip(), body[paragraph.end() :].rstrip()
    if _FIRST_BLOCK.match(body):
        return "", body.strip()
    return body.strip(), ""


def build_feed(feed: Feed, entries: Sequence[Entry], fmt: FeedFormat) -> bytes:
    """The feed document; entries are given newest first and kept in that order."""
    generator = FeedGenerator()
    _describe(generator, feed, fmt)
    newest = max((entry.updated for entry in entries), default=feed.empty_since)
    if newest is not None:
        generator.updated(newest)
        generator.lastBuildDate(newest)
        generator.pubDate(newest)
    for entry in entries:
        _add_entry(generator, entry, fmt)
    if fmt == "rss":
        return generator.rss_str(pretty=False)
    return generator.atom_str(pretty=False)


def _describe(generator: FeedGenerator, feed: Feed, fmt: FeedFormat) -> None:
    generator.id(feed.id)
    generator.title(_xml_text(feed.title))
    # feedgen makes the last link it is given the RSS channel's <link>: that must be the page.
    generator.link(href=feed.self_url, rel="self", type=MEDIA_TYPES[fmt])
    generator.link(href=feed.page_url, rel="alternate", type="text/html")
    # Readers take an RSS <description> as HTML, so plain text is escaped once more there; the
    # Atom subtitle is plain text as it is.
    description = html.escape(feed.description, quote=False) if fmt == "rss" else feed.description
    generator.description(_xml_text(description))
    generator.author(name=_xml_text(feed.author), uri=feed.author_uri)
    # English feeds keep Statuspage's "en-US".
    generator.language("en-US" if feed.language == "en" else feed.language)


def _add_entry(generator: FeedGenerator, entry: Entry, fmt: FeedFormat) -> None:
    item = generator.add_entry(order="append")
    item.id(entry.id)
    item.title(_xml_text(entry.title))
    item.link(href=entry.url, rel="alternate")
    item.published(entry.published)
    item.updated(entry.updated)
    if fmt == "rss":
        item.guid(entry.url if entry.permalink_guid else entry.id, permalink=entry.permalink_guid)
        # RSS has one date; Statuspage moves it with each update so readers see the change.
        item.pubDate(entry.updated)
        item.description(_xml_text(entry.content_html))
    else:
        item.content(_xml_text(entry.content_html), type="html")


# What XML 1.0 cannot carry at all (most control characters, U+FFFE, U+FFFF, lone surrogates).
_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    # Dropped rather than refused: one stray character in an update must not stop every feed
    # that shows it from being built.
    return _NOT_XML.sub("", text)
