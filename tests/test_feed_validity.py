"""Every feed we serve passes a strict checker written from the specs (tests/feedcheck.py).

First the checker itself: a minimal valid RSS and Atom document pass, and the same document with
one defect fails with one error naming it. Then every public and internal feed, RSS and Atom, on
three worlds built at one fixed time: the public test world, the demo organisation, and a quiet
page where nothing has been published yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from statuspage import create_app, demo
from statuspage.core.clock import pinned
from statuspage.extensions import db
from statuspage.models import Component, Incident, Role
from statuspage.publicsite import render
from statuspage.services import accounts
from tests.databases import empty_all_tables
from tests.factories import NOW, make_component, make_incident, make_user
from tests.feedcheck import check_feed, feedparser_problem, html_problems
from tests.helpers import settings_for
from tests.public_world import build_world

# The checker -------------------------------------------------------------------------------------

ITEM_HTML = "&lt;p&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - We are on it.&lt;/p&gt;"
SECOND_ITEM_TEXT = (
    "<title>Search slow</title>"
    "<description>&lt;p&gt;Slow.&lt;/p&gt;&lt;ul&gt;&lt;li&gt;EU&lt;/li&gt;&lt;/ul&gt;</description>"
)
ALTERNATE = '<link href="https://status.example.com/" rel="alternate" type="text/html"/>'
RSS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>Acme Status</title>
<link>https://status.example.com/</link>
<description>Incident history of Acme</description>
<atom:link href="https://status.example.com/history.rss" rel="self" type="application/rss+xml"/>
<pubDate>Wed, 04 Mar 2026 14:02:00 +0000</pubDate>
<lastBuildDate>Wed, 04 Mar 2026 14:02:00 +0000</lastBuildDate>
<item>
<title>API down</title>
<link>https://status.example.com/incidents/1</link>
<description>{ITEM_HTML}</description>
<guid isPermaLink="true">https://status.example.com/incidents/1</guid>
<pubDate>Wed, 04 Mar 2026 14:02:00 +0000</pubDate>
</item>
<item>
{SECOND_ITEM_TEXT}
<guid isPermaLink="false">tag:status.example.com,2005:IncidentUpdate/2</guid>
<pubDate>Tue, 03 Mar 2026 08:00:00 -0600</pubDate>
</item>
</channel>
</rss>
"""
ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-US">
<id>tag:status.example.com,2005:/history</id>
<title>Acme Status</title>
<updated>2026-03-04T14:02:00+00:00</updated>
<author><name>Acme Status</name><uri>https://status.example.com/</uri></author>
{ALTERNATE}
<link href="https://status.example.com/history.atom" rel="self" type="application/atom+xml"/>
<entry>
<id>tag:status.example.com,2005:Incident/1</id>
<title>API down</title>
<updated>2026-03-04T14:02:00Z</updated>
<published>2026-03-04T13:02:00.5-06:00</published>
<link href="https://status.example.com/incidents/1"/>
<content type="html">{ITEM_HTML}</content>
</entry>
<entry>
<id>tag:status.example.com,2005:Incident/2</id>
<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Search <em>slow</em></div></title>
<updated>2026-03-03T08:00:00Z</updated>
<link href="https://status.example.com/incidents/2"/>
<summary>Searches take a few seconds.</summary>
</entry>
</feed>
"""


def test_the_minimal_feeds_are_valid():
    for document in (RSS, ATOM):
        assert check_feed(document) == []
        assert feedparser_problem(document) is None


RSS_DEFECTS = {
    "not well-formed": ("</channel>", "", "not well-formed XML"),
    "wrong version": ('version="2.0"', 'version="0.91"', 'version="2.0"'),
    "no channel title": ("<title>Acme Status</title>", "", "channel <title> is required"),
    "no channel link": ("<link>https://status.example.com/</link>", "", "channel <link> is req"),
    "no channel description": (
        "<description>Incident history of Acme</description>",
        "",
        "channel <description> is required",
    ),
    "channel link is the feed": (
        "<link>https://status.example.com/</link>",
        "<link>https://status.example.com/history.rss</link>",
        "channel <link> is the feed's own address",
    ),
    "relative channel link": (
        "<link>https://status.example.com/</link>",
        "<link>/</link>",
        "channel <link> '/' is not an absolute",
    ),
    "two channel titles": (
        "<title>Acme Status</title>",
        "<title>Acme Status</title><title>Acme</title>",
        "channel has 2 <title>",
    ),
    "unknown channel element": ("<lastBuildDate>", "<updated/><lastBuildDate>", "<updated>"),
    "no self link": ('rel="self"', 'rel="hub"', 'no <atom:link rel="self">'),
    "item with neither title nor description": (
        SECOND_ITEM_TEXT,
        "",
        "item 2 needs a <title> or a <description>",
    ),
    "shared guid": (
        '<guid isPermaLink="false">tag:status.example.com,2005:IncidentUpdate/2</guid>',
        '<guid isPermaLink="true">https://status.example.com/incidents/1</guid>',
        "is used by 2 items",
    ),
    "permalink guid that is no URL": (
        '<guid isPermaLink="false">',
        "<guid>",
        "is a permalink but not an absolute URL",
    ),
    "item author without email": (
        "<title>API down</title>",
        "<title>API down</title><author>Acme</author>",
        "must be an email address",
    ),
    "date not RFC 822": (
        "<pubDate>Tue, 03 Mar 2026 08:00:00 -0600</pubDate>",
        "<pubDate>2026-03-03T08:00:00-06:00</pubDate>",
        "item 2 <pubDate> '2026-03-03T08:00:00-06:00': not an RFC 822",
    ),
    "two-digit year": (
        "<lastBuildDate>Wed, 04 Mar 2026",
        "<lastBuildDate>Wed, 04 Mar 26",
        "4-digit years",
    ),
    "wrong weekday": ("<pubDate>Tue, 03 Mar", "<pubDate>Mon, 03 Mar", "wrong day of the week"),
    "no such day": (
        "<pubDate>Wed, 04 Mar 2026",
        "<pubDate>Sat, 31 Feb 2026",
        "channel <pubDate> 'Sat, 31 Feb 2026 14:02:00 +0000': no such date",
    ),
    "paragraph in a paragraph": (
        "We are on it.&lt;/p&gt;",
        "&lt;p&gt;We are on it.&lt;/p&gt;&lt;/p&gt;",
        "item 1 <description> HTML: <p> inside <p>",
    ),
    "list in a paragraph": (
        "&lt;p&gt;Slow.&lt;/p&gt;&lt;ul&gt;&lt;li&gt;EU&lt;/li&gt;&lt;/ul&gt;",
        "&lt;p&gt;Slow.&lt;ul&gt;&lt;li&gt;EU&lt;/li&gt;&lt;/ul&gt;&lt;/p&gt;",
        "<ul> inside <p>",
    ),
    "unclosed element": ("We are on it.&lt;/p&gt;", "We are on it.", "<p> is never closed"),
    "stray end tag": ("We are on it.&lt;/p&gt;", "We are on it.&lt;/p&gt;&lt;/div&gt;", "stray"),
    "markup in a plain-text description": (
        "<description>Incident history of Acme</description>",
        "<description>Incident history of Acme (R&amp;D &lt;beta&gt;)</description>",
        "channel <description> HTML: unknown element <beta>",
    ),
    "two channels": ("</rss>", "<channel/></rss>", "exactly one <channel>, not 2"),
    "relative item link": (
        "<link>https://status.example.com/incidents/1</link>",
        "<link>/incidents/1</link>",
        "item 1 <link> '/incidents/1' is not an absolute",
    ),
    "isPermaLink neither true nor false": (
        'isPermaLink="false"',
        'isPermaLink="no"',
        'must be "true" or "false"',
    ),
    "empty guid": (
        '<guid isPermaLink="false">tag:status.example.com,2005:IncidentUpdate/2</guid>',
        '<guid isPermaLink="false"> </guid>',
        "item 2 <guid> is empty",
    ),
    "no such month": ("<pubDate>Tue, 03 Mar", "<pubDate>Tue, 03 Mrz", "'Mrz' is not a month"),
    "zone offset of 75 minutes": ("08:00:00 -0600", "08:00:00 -0075", "more than 59 minutes"),
}

ATOM_DEFECTS = {
    "not well-formed": ("</feed>", "", "not well-formed XML"),
    "no feed id": ("<id>tag:status.example.com,2005:/history</id>", "", "feed has no <id>"),
    "no feed title": ("<title>Acme Status</title>", "", "feed has no <title>"),
    "no feed updated": ("<updated>2026-03-04T14:02:00+00:00</updated>", "", "feed has no <upd"),
    "two feed titles": (
        "<title>Acme Status</title>",
        "<title>Acme Status</title><title>Acme</title>",
        "feed has 2 <title>",
    ),
    "unknown feed element": (
        "<updated>2026-03-04T14:02:00+00",
        "<pubDate/><updated>2026-03-04T14:02:00+00",
        "feed has <pubDate>",
    ),
    "no author anywhere": (
        "<author><name>Acme Status</name><uri>https://status.example.com/</uri></author>",
        "",
        "no <author> on the feed, nor on entries 1, 2",
    ),
    "author without name": ("<name>Acme Status</name>", "", "<author> needs exactly one"),
    "no self link": ('rel="self"', 'rel="related"', 'feed has no <link rel="self">'),
    "two alternates of one type": (
        ALTERNATE,
        f'{ALTERNATE}<link href="https://status.example.com/en" type="text/html"/>',
        'feed has 2 <link rel="alternate"> with type text/html',
    ),
    "no entry id": ("<id>tag:status.example.com,2005:Incident/1</id>", "", "entry 1 has no <id>"),
    "no entry title": ("<title>API down</title>", "", "entry 1 has no <title>"),
    "no entry updated": ("<updated>2026-03-04T14:02:00Z</updated>", "", "entry 1 has no <updated>"),
    "shared entry id": ("Incident/2</id>", "Incident/1</id>", "is used by 2 entries"),
    "id that is no IRI": ("Incident/2</id>", "Incident 2</id>", "is not an absolute IRI"),
    "date without offset": (
        "<updated>2026-03-03T08:00:00Z",
        "<updated>2026-03-03T08:00:00",
        "entry 2 <updated> '2026-03-03T08:00:00': not an RFC 3339",
    ),
    "date with a space": ("2026-03-04T13:02:00.5", "2026-03-04 13:02:00.5", "not an RFC 3339"),
    "no such date": ("<updated>2026-03-04T14:02:00Z", "<updated>2026-02-30T14:02:00Z", "no such"),
    "html content holding elements": (
        f'<content type="html">{ITEM_HTML}</content>',
        '<content type="html"><p xmlns="http://www.w3.org/1999/xhtml">Up</p></content>',
        "holds child elements",
    ),
    "xhtml title without a div": (
        '<div xmlns="http://www.w3.org/1999/xhtml">Search <em>slow</em></div>',
        "Search slow",
        'type="xhtml" must hold exactly one xhtml:div',
    ),
    "unknown text type": ('<content type="html">', '<content type="markdown">', "media type"),
    "entry without content or alternate link": (
        '<link href="https://status.example.com/incidents/2"/>',
        '<link href="https://status.example.com/incidents/2" rel="related"/>',
        'entry 2 has neither <content> nor <link rel="alternate">',
    ),
    "paragraph in a paragraph": (
        "We are on it.&lt;/p&gt;",
        "&lt;p&gt;We are on it.&lt;/p&gt;&lt;/p&gt;",
        "entry 1 <content> HTML: <p> inside <p>",
    ),
    "heading in a paragraph": (
        "We are on it.",
        "&lt;h2&gt;Cause&lt;/h2&gt;",
        "<h2> inside <p>",
    ),
    "feed id that is no IRI": (
        "<id>tag:status.example.com,2005:/history</id>",
        "<id>/history</id>",
        "feed <id> '/history' is not an absolute IRI",
    ),
    "link without href": (ALTERNATE, '<link rel="alternate" type="text/html"/>', "without href"),
    "author uri that is no IRI": (
        "<uri>https://status.example.com/</uri>",
        "<uri>status page</uri>",
        "feed <author> <uri> 'status page' is not an absolute IRI",
    ),
    "two contents in an entry": (
        f'<content type="html">{ITEM_HTML}</content>',
        f'<content type="html">{ITEM_HTML}</content><content>Also</content>',
        "entry 1 has 2 <content>",
    ),
    "out-of-line content without summary": (
        f'<content type="html">{ITEM_HTML}</content>',
        '<content src="https://status.example.com/incidents/1.txt" type="text/plain"/>',
        "out-of-line <content> but no <summary>",
    ),
}


def _defect_cases(valid: str, defects: dict[str, tuple[str, str, str]]) -> Iterator[pytest.param]:
    for name, (old, new, message) in defects.items():
        assert valid.count(old) >= 1, f"{name}: {old!r} is not in the valid document"
        yield pytest.param(valid.replace(old, new, 1), message, id=name)


@pytest.mark.parametrize(
    ("document", "message"), [*_defect_cases(RSS, RSS_DEFECTS), *_defect_cases(ATOM, ATOM_DEFECTS)]
)
def test_one_defect_gives_one_error_naming_it(document, message):
    errors = check_feed(document)
    assert len(errors) == 1 and message in errors[0], errors


def test_valid_html_passes():
    assert (
        html_problems("<p>a<br/>b &amp; <a href='/'>c</a></p><hr><ul><li><p>d</p></li></ul>") == []
    )


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        ("<p>a<pre>b</pre></p>", "<pre> inside <p>"),
        ("<p><strong><blockquote>q</blockquote></strong></p>", "<blockquote> inside <strong>"),
        ("<p><a href='/'><div>x</div></a></p>", "<div> inside <p>"),
        ("<li>loose</li>", "<li> outside a list"),
        ("<p/>text", "<p/> is not a void element"),
        ("<p>a</br></p>", "end tag </br> for a void element"),
        ("<ul><li>a</ul>", "<li> is not closed before </ul>"),
    ],
)
def test_each_html_rule(fragment, message):
    problems = html_problems(fragment)
    assert len(problems) == 1 and message in problems[0], problems


def test_a_document_that_is_no_feed_is_refused():
    assert check_feed("<html><body/></html>") == [
        "root element <html> is neither RSS 2.0 <rss> nor Atom <feed>"
    ]


def test_feedparser_problems_are_reported():
    assert "bozo" in feedparser_problem(RSS.replace("</channel>", ""))


# Every feed on realistic worlds ------------------------------------------------------------------

PUBLIC_FEEDS = [
    f"{kind}.{fmt}{query}"
    for fmt in ("rss", "atom")
    for kind in ("history", "updates")
    for query in ("", "?component")
]
INTERNAL_FEEDS = [
    f"internal {kind}.{fmt}" for fmt in ("rss", "atom") for kind in ("updates", "incident")
]


# Each world returns the incident whose internal feed is checked.


def _public_world() -> int:
    return build_world(now=NOW).open_incident


def _demo_world() -> int:
    demo.seed_demo(now=NOW, site=render.site())
    return db.session.scalar(sa.select(Incident.id).where(Incident.title == demo.OPEN_INCIDENT))


def _quiet_world() -> int:
    """A page where nothing has been published yet: every feed is empty."""
    make_component("API")
    return make_incident(title="Not told yet", now=NOW).id


# Each world with the settings it runs under: the demo in a zone with an offset.
WORLDS: dict[str, tuple[Callable[[], int], dict[str, str]]] = {
    "public world": (_public_world, {}),
    "demo": (_demo_world, {"TIMEZONE": "America/Chicago"}),
    "quiet": (_quiet_world, {}),
}


@pytest.fixture(scope="module", params=list(WORLDS))
def feeds(request: pytest.FixtureRequest, database_url: str) -> dict[str, bytes]:
    """Every feed of one world, rendered once; the tables are empty again before any test runs."""
    build, settings = WORLDS[request.param]
    app = create_app(settings_for(database_url, **settings))
    try:
        with app.app_context(), pinned(NOW):
            return _render_every_feed(app, incident=build())
    finally:
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as connection:
                empty_all_tables(connection, db.metadata)
            db.engine.dispose()


def _render_every_feed(app: Flask, *, incident: int) -> dict[str, bytes]:
    """Public feeds as the site renders them at NOW; internal ones through a person's feed token."""
    token = accounts.rotate_feed_token(make_user(Role.VIEWER), now=NOW)
    api = db.session.scalar(sa.select(Component.id).where(Component.name == "API"))
    db.session.commit()
    rendered = {}
    for name in PUBLIC_FEEDS:
        kind, fmt = name.removesuffix("?component").split(".")
        component = api if name.endswith("?component") else None
        if kind == "history":
            rendered[name] = render.history_feed(fmt, component, now=NOW).content
        else:
            rendered[name] = render.updates_feed(fmt, component).content
    client = app.test_client()
    for fmt in ("rss", "atom"):
        for name, path in (
            ("updates", f"/internal/feeds/{token}/updates.{fmt}"),
            ("incident", f"/internal/feeds/{token}/incidents/{incident}.{fmt}"),
        ):
            response = client.get(path)
            assert response.status_code == 200, path
            rendered[f"internal {name}.{fmt}"] = response.data
    return rendered


@pytest.mark.parametrize("name", PUBLIC_FEEDS + INTERNAL_FEEDS)
def test_every_feed_passes_the_checker_and_feedparser(feeds, name):
    errors = check_feed(feeds[name])
    assert not errors, "\n".join(errors)
    assert feedparser_problem(feeds[name]) is None
