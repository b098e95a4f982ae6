"""Safe HTML from a liaison's Markdown: the only place in the code base that marks text as safe."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

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
