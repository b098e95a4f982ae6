"""The forms of an HTML page as a browser would submit them, and the query names its links use."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit


@dataclass
class PageForm:
    """One `<form>`: where it goes, how, the fields a browser sends by default (in order), and
    its named submit buttons (a browser adds the one clicked)."""

    action: str  # a path on the site, without the query string
    method: str  # GET or POST
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str] | None] = field(default_factory=list)  # None: unnamed

    def names(self) -> list[str]:
        return list(dict.fromkeys(name for name, _ in self.fields))


class _Page(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.forms: list[PageForm] = []
        self.query_names: dict[str, set[str]] = {}  # path -> names its links give it
        self._form: PageForm | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, list[str], list[str]] | None = None  # name, first, selected

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {name: value or "" for name, value in attrs}
        if tag == "a" and "?" in given.get("href", ""):
            link = urlsplit(urljoin(self.url, given["href"]))
            names = self.query_names.setdefault(link.path, set())
            names |= {name for name, _ in parse_qsl(link.query, keep_blank_values=True)}
        elif tag == "form":
            action = urlsplit(urljoin(self.url, given.get("action") or self.url)).path
            self._form = PageForm(action, given.get("method", "get").upper())
            self.forms.append(self._form)
        elif self._form is not None and _is_submit(tag, given) and "name" not in given:
            self._form.buttons.append(None)
        elif self._form is not None and "name" in given:
            self._field(tag, given)
        elif self._select is not None and tag == "option":
            value = given.get("value", "")
            self._select[1].append(value)
            if "selected" in given:
                self._select[2].append(value)

    def _field(self, tag: str, given: dict[str, str]) -> None:
        assert self._form is not None
        name = given["name"]
        if tag == "textarea":
            self._textarea = (name, [])
        elif tag == "select":
            self._select = (name, [], [])
        elif _is_submit(tag, given):
            self._form.buttons.append((name, given.get("value", "")))
        elif tag == "input":
            kind = given.get("type", "text")
            if kind not in {"checkbox", "radio"} or "checked" in given:
                self._form.fields.append((name, given.get("value", "on")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, text = self._textarea
            self._form.fields.append((name, "".join(text)))
            self._textarea = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, first, selected = self._select
            self._form.fields += [(name, value) for value in (selected or first[:1])]
            self._select = None


def _is_submit(tag: str, given: dict[str, str]) -> bool:
    if tag == "button":
        return given.get("type", "submit") == "submit"
    return tag == "input" and given.get("type") == "submit"


def read_page(url: str, html: str) -> tuple[list[PageForm], dict[str, set[str]]]:
    """The page's forms, and the names of the query parameters its links carry, by path."""
    page = _Page(url)
    page.feed(html)
    page.close()
    return page.forms, page.query_names
