"""Addresses of the public site as written to disk: the exported file for each app path
(core.addresses), and the links of one page.

A page links through a `Links` object: the app's own paths when served by the app, or paths
relative to the exported file when written to disk, so an export works from any web server or
folder. The file names are what the shipped nginx configuration maps the app's paths to.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask import current_app

from statuspage.core.addresses import (
    api_path,
    calendar_path,
    feed_path,
    history_path,
    incident_path,
    index_path,
    subscribe_path,
    webhook_documentation_path,
)

STATIC_FILES = (
    "css/app.css",
    "js/localtime.js",
    "js/copylink.js",
    "js/refresh.js",
    "img/favicon.svg",
)
_INCIDENT = re.compile(r"/incidents/(\d+)")
_FEED = re.compile(r"/(history|updates)\.(atom|rss)")


@cache
def static_path(filename: str) -> str:
    """The static file's path with a digest of its content, so a deploy never serves old CSS."""
    folder = Path(current_app.static_folder or "static")
    digest = hashlib.sha256((folder / filename).read_bytes()).hexdigest()[:10]
    return f"/static/{filename}?v={digest}"


def export_file(path: str) -> str:
    """The file (relative to the export folder) that holds the public page at this app path."""
    parts = urlsplit(path)
    query = parse_qs(parts.query)
    if parts.path == "/":
        return "index.html"
    if parts.path == "/history":
        page = query.get("page", ["1"])[0]
        return "history.html" if page == "1" else f"history-{page}.html"
    if parts.path == webhook_documentation_path():
        return "docs/webhooks.html"
    if match := _INCIDENT.fullmatch(parts.path):
        return f"incidents/{match.group(1)}.html"
    if _FEED.fullmatch(parts.path) and "component" in query:
        return f"components/{query['component'][0]}{parts.path}"
    return parts.path.lstrip("/")


class Links:
    """Links from one page: app paths (here=None), or relative to the exported file `here`."""

    def __init__(self, here: str | None = None) -> None:
        self.here = here

    def _to(self, path: str) -> str:
        if self.here is None:
            return path
        parts = urlsplit(path)
        target = export_file(parts.path) if parts.path.startswith("/static/") else export_file(path)
        relative = posixpath.relpath(target, posixpath.dirname(self.here) or ".")
        return f"{relative}?{parts.query}" if parts.path.startswith("/static/") else relative

    def home(self) -> str:
        return self._to(index_path())

    def incident(self, incident_id: int) -> str:
        return self._to(incident_path(incident_id))

    def history(self, page: int = 1, component_id: int | None = None) -> str:
        """A history page; of one component only from the app (the export has every component's)."""
        return self._to(history_path(page, component_id))

    def feed(self, kind: str, fmt: str, component_id: int | None = None) -> str:
        return self._to(feed_path(kind, fmt, component_id))

    def api(self, document: str) -> str:
        return self._to(api_path(document))

    def calendar(self) -> str:
        return self._to(calendar_path())

    def webhook_documentation(self) -> str:
        return self._to(webhook_documentation_path())

    def subscribe(self, incident_id: int | None = None) -> str:
        """The app's subscribe page: always the app's path (its form carries a CSRF token, so an
        exported copy links to the app, with the site's URL before it)."""
        return subscribe_path(incident_id)

    def brand(self, name: str) -> str:
        """A brand file (services.branding): /brand/<name>, exported as brand/<name>."""
        return self._to(f"/brand/{name}")

    def static(self, filename: str) -> str:
        return self._to(static_path(filename))
