"""Turning stored data into display text: safe HTML from Markdown, and times in the page's zone.

markdown_to_html is the only place in the code base that marks text as safe HTML.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from statuspage.core.clock import utcnow

# Raw HTML is off in the parser, and the output is cleaned again: two locks on one door.
_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable("strikethrough")
_ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def markdown_to_html(text: str | None) -> Markup:
    """Render a liaison's Markdown as HTML that is safe to put on any page or feed."""
    html = _markdown.render(text or "")
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(cleaned)


def machine_datetime(moment: datetime) -> str:
    """'2026-03-04T14:30:07+00:00': ISO 8601 to the second with the offset, for `<time datetime>`.

    Stored times carry microseconds, and HTML allows at most three digits of a second there.
    """
    if moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone: a machine-readable time needs its offset")
    return moment.isoformat(timespec="seconds")


def format_time(moment: datetime, zone: str) -> str:
    """'14:30 UTC': a time of day in the zone, with the zone's abbreviation."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%H:%M} {local.tzname()}"


def format_datetime(moment: datetime, zone: str) -> str:
    """'Mar 4, 14:30 UTC' (with the year when it is not this year's)."""
    local = moment.astimezone(ZoneInfo(zone))
    now = utcnow().astimezone(local.tzinfo)
    day = f"{local:%b} {local.day}" + (f", {local.year}" if local.year != now.year else "")
    return f"{day}, {local:%H:%M} {local.tzname()}"


def describe_countdown(due: datetime, now: datetime) -> str:
    """'due in 12 min' or 'overdue 4 min' (hours past an hour): how a promise stands right now."""
    span = format_span(due, now)
    return f"due in {span}" if due >= now else f"overdue {span}"


def format_span(moment: datetime, now: datetime) -> str:
    """'12 min' or '1 h 05 min': how far the moment is from now, either way, in whole minutes."""
    minutes = int(abs((moment - now).total_seconds()) // 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def describe_duration(length: timedelta) -> str:
    """'1 hour 5 minutes', '30 minutes', '45 seconds': to the minute, or to the second under one."""
    seconds = int(length.total_seconds())
    if seconds >= 60:
        seconds -= seconds % 60
    parts = []
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts) or "0 seconds"


def format_date(day: date) -> str:
    """'Mar 4, 2026'."""
    return f"{day:%b} {day.day}, {day.year}"


def format_duration(span: timedelta) -> str:
    """'2 d 3 h', '1 h 28 min', '45 min' or 'under a minute': two units at most."""
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "under a minute"
