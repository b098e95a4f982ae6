"""A strict feed checker written from the specs, for tests: check_feed(document) lists what is wrong.

Sources, and what each rule comes from:
- RSS 2.0 (https://www.rssboard.org/rss-specification): required channel elements, item title or
  description, guid and isPermaLink, RFC 822 dates (with the 4-digit years the spec recommends);
  plus the RSS Best Practices Profile's atom:link rel="self", and its reading of <description> as
  HTML (which is how readers such as feedparser treat it).
- Atom, RFC 4287: required feed and entry elements, atom:author on the feed or every entry, ids
  that are IRIs and unique, RFC 3339 dates, one alternate link per type and hreflang, rel="self",
  text constructs whose type matches what they hold.
- HTML, for every HTML payload (Atom html text, RSS descriptions): the content model of the
  elements we emit, balanced tags, no stray end tags, no unknown elements.

feedparser_problem(document) is the other half: what feedparser (the reader most Python tools use)
says is wrong, or None.
"""

from __future__ import annotations

import re
from calendar import day_abbr, month_abbr
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from html.parser import HTMLParser
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

import feedparser

ATOM = "http://www.w3.org/2005/Atom"
XHTML = "http://www.w3.org/1999/xhtml"
RSS_CONTENT = "http://purl.org/rss/1.0/modules/content/"


def check_feed(document: bytes | str) -> list[str]:
    """Every rule the document breaks, in plain words; an empty list for a valid feed."""
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as error:
        return [f"not well-formed XML: {error}"]
    if root.tag == "rss":
        return _check_rss(root)
    if root.tag == _atom("feed"):
        return _check_atom(root)
    return [f"root element <{root.tag}> is neither RSS 2.0 <rss> nor Atom <feed>"]


def feedparser_problem(document: bytes | str) -> str | None:
    """What feedparser found wrong (its bozo exception), or None when it parsed cleanly."""
    parsed = feedparser.parse(document)
    if not parsed.bozo:
        return None
    return f"feedparser bozo: {parsed.get('bozo_exception')!r}"


# RSS 2.0 ------------------------------------------------------------------------------------------

RSS_CHANNEL = {
    "title",
    "link",
    "description",
    "language",
    "copyright",
    "managingEditor",
    "webMaster",
    "pubDate",
    "lastBuildDate",
    "category",
    "generator",
    "docs",
    "cloud",
    "ttl",
    "image",
    "rating",
    "textInput",
    "skipHours",
    "skipDays",
    "item",
}
RSS_ITEM = {
    "title",
    "link",
    "description",
    "author",
    "category",
    "comments",
    "enclosure",
    "guid",
    "pubDate",
    "source",
}
RSS_REPEATABLE = {"category", "item"}


def _check_rss(root: Element) -> list[str]:
    errors = [] if root.get("version") == "2.0" else ['<rss> must carry version="2.0"']
    channels = root.findall("channel")
    if len(channels) != 1:
        return [*errors, f"<rss> must hold exactly one <channel>, not {len(channels)}"]
    channel = channels[0]
    errors += _rss_elements(channel, "channel", RSS_CHANNEL)
    for name in ("title", "link", "description"):
        if not _text(channel.find(name)):
            errors.append(f"channel <{name}> is required (RSS 2.0) and missing or empty")
    errors += _rss_channel_links(channel)
    errors += _rss_dates(channel, "channel")
    errors += _html_payload(channel.findtext("description"), "channel <description>")
    items = channel.findall("item")
    for number, item in enumerate(items, 1):
        errors += _check_rss_item(item, f"item {number}")
    guids = [_text(item.find("guid")) for item in items if _text(item.find("guid"))]
    errors += [f"guid {guid!r} is used by {count} items" for guid, count in _repeated(guids)]
    return errors


def _rss_elements(element: Element, where: str, allowed: set[str]) -> list[str]:
    # Elements in other namespaces (atom:link, content:encoded ...) are extensions RSS allows.
    counts = Counter(child.tag for child in element if "}" not in child.tag)
    errors = [
        f"{where} has <{name}>, which RSS 2.0 does not define"
        for name in counts
        if name not in allowed
    ]
    errors += [
        f"{where} has {count} <{name}> elements (at most one)"
        for name, count in counts.items()
        if count > 1 and name not in RSS_REPEATABLE
    ]
    return errors


def _rss_channel_links(channel: Element) -> list[str]:
    errors = []
    link = _text(channel.find("link"))
    if link and not _is_web_url(link):
        errors.append(f"channel <link> {link!r} is not an absolute http(s) URL")
    selves = [ln.get("href") for ln in channel.findall(_atom("link")) if ln.get("rel") == "self"]
    if not selves:
        errors.append('channel has no <atom:link rel="self"> (RSS Best Practices Profile)')
    elif not all(_is_web_url(href) for href in selves):
        errors.append(f'channel <atom:link rel="self"> {selves[0]!r} is not an absolute URL')
    if link and link in selves:
        errors.append(
            "channel <link> is the feed's own address: it must be the HTML page the channel is for"
        )
    return errors


def _check_rss_item(item: Element, where: str) -> list[str]:
    errors = _rss_elements(item, where, RSS_ITEM)
    if not _text(item.find("title")) and not _text(item.find("description")):
        errors.append(f"{where} needs a <title> or a <description> (RSS 2.0)")
    link = _text(item.find("link"))
    if link and not _is_web_url(link):
        errors.append(f"{where} <link> {link!r} is not an absolute http(s) URL")
    guid = item.find("guid")
    if guid is not None:
        errors += _rss_guid(guid, where)
    author = _text(item.find("author"))
    if author and "@" not in author:
        errors.append(f"{where} <author> {author!r} must be an email address (RSS 2.0)")
    errors += _rss_dates(item, where)
    errors += _html_payload(item.findtext("description"), f"{where} <description>")
    errors += _html_payload(item.findtext(f"{{{RSS_CONTENT}}}encoded"), f"{where} content:encoded")
    return errors


def _rss_guid(guid: Element, where: str) -> list[str]:
    value = _text(guid)
    flag = guid.get("isPermaLink", "true")
    if not value:
        return [f"{where} <guid> is empty"]
    if flag not in ("true", "false"):
        return [f'{where} <guid isPermaLink="{flag}"> must be "true" or "false"']
    if flag == "true" and not _is_web_url(value):
        # isPermaLink is true unless the guid says false
        return [f"{where} <guid> {value!r} is a permalink but not an absolute URL"]
    return []


_RFC822 = re.compile(
    r"(?:(?P<weekday>[A-Z][a-z]{2}), )?(?P<day>\d{1,2}) (?P<month>[A-Z][a-z]{2}) (?P<year>\d{2,4}) "
    r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))? "
    r"(?P<zone>UT|GMT|[ECMP][SD]T|[A-IK-Z]|[+-]\d{4})"
)


def _rss_dates(element: Element, where: str) -> list[str]:
    errors = []
    for name in ("pubDate", "lastBuildDate"):
        value = element.findtext(name)
        if value is not None:
            problem = rfc822_problem(value.strip())
            if problem:
                errors.append(f"{where} <{name}> {value!r}: {problem}")
    return errors


def rfc822_problem(value: str) -> str | None:
    """Why the value is not an RFC 822 date-time with a 4-digit year, or None when it is one."""
    match = _RFC822.fullmatch(value)
    if match is None:
        return "not an RFC 822 date-time"
    if len(match["year"]) != 4:
        return "RSS 2.0 recommends 4-digit years"
    if match["month"] not in month_abbr[1:]:
        return f"{match['month']!r} is not a month"
    zone = match["zone"]
    if zone[0] in "+-" and int(zone[3:]) >= 60:
        return f"zone offset {zone} has more than 59 minutes"
    try:
        moment = datetime(
            int(match["year"]),
            month_abbr[1:].index(match["month"]) + 1,
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
        )
    except ValueError as error:
        return f"no such date or time ({error})"
    if match["weekday"] and match["weekday"] != day_abbr[moment.weekday()]:
        return f"{match['weekday']} is the wrong day of the week (it was a {moment:%a})"
    return None


# Atom (RFC 4287) --------------------------------------------------------------------------------

FEED_ONCE = {"id", "title", "updated", "subtitle", "rights", "icon", "logo", "generator"}
FEED_MANY = {"author", "category", "contributor", "link", "entry"}
ENTRY_ONCE = {"id", "title", "updated", "published", "content", "summary", "rights", "source"}
ENTRY_MANY = {"author", "category", "contributor", "link"}
TEXT_TYPES = ("text", "html", "xhtml")


def _check_atom(feed: Element) -> list[str]:
    errors = _atom_elements(feed, "feed", FEED_ONCE, FEED_MANY, required=("id", "title", "updated"))
    errors += _atom_common(feed, "feed")
    if not any(link.get("rel") == "self" for link in feed.findall(_atom("link"))):
        errors.append('feed has no <link rel="self"> (RFC 4287 §4.1.1 says it should have one)')
    entries = feed.findall(_atom("entry"))
    for number, entry in enumerate(entries, 1):
        errors += _check_atom_entry(entry, f"entry {number}")
    errors += _atom_authors(feed, entries)
    ids = [_text(entry.find(_atom("id"))) for entry in entries if _text(entry.find(_atom("id")))]
    errors += [f"entry id {id_!r} is used by {count} entries" for id_, count in _repeated(ids)]
    return errors


def _check_atom_entry(entry: Element, where: str) -> list[str]:
    errors = _atom_elements(
        entry, where, ENTRY_ONCE, ENTRY_MANY, required=("id", "title", "updated")
    )
    errors += _atom_common(entry, where)
    errors += _date(entry.find(_atom("published")), f"{where} <published>")
    content = entry.find(_atom("content"))
    if content is None:
        alternates = [ln for ln in entry.findall(_atom("link")) if _rel(ln) == "alternate"]
        if not alternates:
            errors.append(f'{where} has neither <content> nor <link rel="alternate"> (§4.1.1)')
    else:
        errors += _atom_content(content, entry, where)
    summary = entry.find(_atom("summary"))
    if summary is not None:
        errors += _text_construct(summary, f"{where} <summary>")
    return errors


def _atom_elements(
    element: Element, where: str, once: set[str], many: set[str], *, required: Iterable[str]
) -> list[str]:
    names = [child.tag[len(ATOM) + 2 :] for child in element if child.tag.startswith(f"{{{ATOM}}}")]
    counts = Counter(names)
    errors = [
        f"{where} has <{name}>, which Atom does not define there"
        for name in counts
        if name not in once | many
    ]
    errors += [
        f"{where} has {counts[name]} <{name}> elements (at most one)"
        for name in once
        if counts[name] > 1
    ]
    errors += [
        f"{where} has no <{name}> (required by RFC 4287)" for name in required if not counts[name]
    ]
    return errors


def _atom_common(element: Element, where: str) -> list[str]:
    """What feed and entry share: id, title, updated, rights, authors and links."""
    errors = []
    id_ = element.find(_atom("id"))
    if id_ is not None and not _is_iri(_text(id_)):
        errors.append(f"{where} <id> {_text(id_)!r} is not an absolute IRI")
    errors += _date(element.find(_atom("updated")), f"{where} <updated>")
    for name in ("title", "subtitle", "rights"):
        construct = element.find(_atom(name))
        if construct is not None:
            errors += _text_construct(construct, f"{where} <{name}>")
    for author in element.findall(_atom("author")):
        errors += _person(author, f"{where} <author>")
    errors += _atom_links(element, where)
    return errors


def _atom_authors(feed: Element, entries: list[Element]) -> list[str]:
    if feed.find(_atom("author")) is not None:
        return []
    # "unless all of the feed's entries contain an author": a feed without entries needs none
    without = [str(n) for n, e in enumerate(entries, 1) if e.find(_atom("author")) is None]
    if not without:
        return []
    return [f"no <author> on the feed, nor on entries {', '.join(without)} (RFC 4287 §4.1.1)"]


def _person(person: Element, where: str) -> list[str]:
    errors = []
    names = person.findall(_atom("name"))
    if len(names) != 1 or not _text(names[0]):
        errors.append(f"{where} needs exactly one non-empty <name>")
    uri = person.find(_atom("uri"))
    if uri is not None and not _is_iri(_text(uri)):
        errors.append(f"{where} <uri> {_text(uri)!r} is not an absolute IRI")
    email = person.find(_atom("email"))
    if email is not None and "@" not in _text(email):
        errors.append(f"{where} <email> {_text(email)!r} is not an email address")
    return errors


def _atom_links(element: Element, where: str) -> list[str]:
    errors = []
    alternates: Counter[tuple[str, str]] = Counter()
    for link in element.findall(_atom("link")):
        href = link.get("href")
        if not href:
            errors.append(f"{where} has a <link> without href")
        elif not _is_iri(href):
            errors.append(f"{where} <link> href {href!r} is not an absolute IRI")
        if _rel(link) == "alternate":
            alternates[(link.get("type", ""), link.get("hreflang", ""))] += 1
    errors += [
        f'{where} has {count} <link rel="alternate"> with type {type_ or "(none)"} and '
        f"hreflang {lang or '(none)'} (at most one, RFC 4287 §4.1.1)"
        for (type_, lang), count in alternates.items()
        if count > 1
    ]
    return errors


def _atom_content(content: Element, entry: Element, where: str) -> list[str]:
    label = f"{where} <content>"
    if content.get("src") is not None:
        errors = []
        if not _is_iri(content.get("src", "")):
            errors.append(f"{label} src {content.get('src')!r} is not an absolute IRI")
        if _text(content) or len(content):
            errors.append(f"{label} with src must be empty (§4.1.3.2)")
        if entry.find(_atom("summary")) is None:
            errors.append(f"{where} has out-of-line <content> but no <summary> (§4.1.1)")
        return errors
    kind = content.get("type", "text")
    if kind in TEXT_TYPES:
        return _text_construct(content, label)
    if "/" not in kind:
        return [f'{label} type="{kind}" is neither text, html, xhtml nor a media type']
    return []


def _text_construct(element: Element, where: str) -> list[str]:
    kind = element.get("type", "text")
    if kind not in TEXT_TYPES:
        return [f'{where} type="{kind}" must be text, html or xhtml (RFC 4287 §3.1.1)']
    children = list(element)
    if kind == "xhtml":
        if len(children) != 1 or children[0].tag != f"{{{XHTML}}}div" or _text(element):
            return [f'{where} type="xhtml" must hold exactly one xhtml:div (§3.1.1.3)']
        return []
    if children:
        return [f'{where} type="{kind}" holds child elements: markup must be escaped (§3.1.1)']
    if kind == "html":
        return _html_payload(element.text, where)
    return []


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))"
)


def _date(element: Element | None, where: str) -> list[str]:
    if element is None:
        return []
    problem = rfc3339_problem(_text(element))
    return [f"{where} {_text(element)!r}: {problem}"] if problem else []


def rfc3339_problem(value: str) -> str | None:
    """Why the value is not an RFC 3339 date-time, or None when it is one."""
    match = _RFC3339.fullmatch(value)
    if match is None:
        return "not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS with Z or an offset)"
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        datetime(year, month, day, hour, minute, second)
    except ValueError as error:
        return f"no such date or time ({error})"
    if match[8] is not None and (int(match[8]) > 23 or int(match[9]) > 59):
        return "the offset is out of range"
    return None


# HTML payloads ----------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# Flow content that may not appear where only phrasing content is allowed.
BLOCK = {
    "address",
    "article",
    "aside",
    "blockquote",
    "details",
    "div",
    "dl",
    "fieldset",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "ul",
}
# Elements whose content model is phrasing content only (a and del/ins are transparent: their
# parent decides).
PHRASING_ONLY = {
    "abbr",
    "b",
    "cite",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "i",
    "kbd",
    "mark",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
    "var",
}
OTHER_KNOWN = {
    "a",
    "caption",
    "dd",
    "del",
    "dt",
    "figcaption",
    "img",
    "ins",
    "li",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
}
KNOWN = VOID | BLOCK | PHRASING_ONLY | OTHER_KNOWN
LIST_PARENTS = {"ul", "ol", "menu"}


def html_problems(fragment: str) -> list[str]:
    """What is wrong with an HTML fragment, for the elements we emit (see the module docstring)."""
    audit = _HtmlAudit()
    audit.feed(fragment)
    audit.close()
    return audit.finish()


def _html_payload(fragment: str | None, where: str) -> list[str]:
    if not fragment:
        return []
    return [f"{where} HTML: {problem}" for problem in html_problems(fragment)]


class _HtmlAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in KNOWN:
            self.problems.append(f"unknown element <{tag}>")
            return
        if tag in BLOCK:
            holder = next((name for name in reversed(self.open) if name in PHRASING_ONLY), None)
            if holder is not None:
                self.problems.append(
                    f"<{tag}> inside <{holder}>, which takes phrasing content only"
                )
        if tag == "li" and (not self.open or self.open[-1] not in LIST_PARENTS):
            self.problems.append("<li> outside a list")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in KNOWN and tag not in VOID:
            self.problems.append(f"<{tag}/> is not a void element: the slash does not close it")
            self.open.pop()  # reported once here, not again as never closed

    def handle_endtag(self, tag: str) -> None:
        if tag not in KNOWN:
            return  # already reported at its start tag
        if tag in VOID:
            self.problems.append(f"end tag </{tag}> for a void element")
        elif tag not in self.open:
            self.problems.append(f"stray end tag </{tag}>")
        else:
            while (name := self.open.pop()) != tag:
                self.problems.append(f"<{name}> is not closed before </{tag}>")

    def finish(self) -> list[str]:
        return self.problems + [f"<{name}> is never closed" for name in reversed(self.open)]


# Shared ------------------------------------------------------------------------------------------


def _atom(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _rel(link: Element) -> str:
    return link.get("rel", "alternate")


def _text(element: Element | None) -> str:
    return "" if element is None else (element.text or "").strip()


def _repeated(values: list[str]) -> list[tuple[str, int]]:
    return [(value, count) for value, count in Counter(values).items() if count > 1]


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _is_iri(value: str) -> bool:
    """An absolute IRI (RFC 3987): a scheme, then characters IRIs allow (no spaces, no <>"{}|\\^`)."""
    return bool(_SCHEME.match(value)) and not re.search(r'[\s<>"{}|\\^`]', value)


def _is_web_url(value: str) -> bool:
    return re.match(r"https?://[^/\s?#]+", value) is not None and _is_iri(value)
