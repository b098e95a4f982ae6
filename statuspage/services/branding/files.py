"""The brand's files: a logo and a favicon (PNG or SVG), and the stylesheet of the accents.

An upload's type is sniffed from its bytes, never its name or the browser's word. An SVG is kept
only when it is plain drawing: no DOCTYPE or entities, no script, event handlers, foreign content,
animation or links outside the file. It is served besides with a sandboxing CSP (views.public,
deploy/nginx), so even a file that slipped past could not script anything.

Each file is served as /brand/<kind>-<digest>.<ext>: a new file has a new name, so the old one may
be cached for a year.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from xml.etree import ElementTree

from statuspage.core.errors import ValidationError

MAX_BYTES = {"logo": 200_000, "favicon": 100_000}
PNG = "image/png"
SVG = "image/svg+xml"
CSS = "text/css; charset=utf-8"
EXTENSIONS = {PNG: "png", SVG: "svg", CSS: "css"}
_SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
_FORBIDDEN_ELEMENTS = {
    "script", "foreignobject", "iframe", "embed", "object", "handler", "listener",
    "set", "animate", "animatemotion", "animatetransform",
}  # fmt: skip
_OUTSIDE_REFERENCE = re.compile(rb"url\(\s*['\"]?\s*[^#'\"\s)]|@import|javascript:", re.IGNORECASE)


@dataclass(frozen=True)
class BrandFile:
    """One file the app serves under /brand/."""

    name: str  # e.g. logo-3fa2c41b9e.svg
    content_type: str
    data: bytes

    @classmethod
    def of(cls, kind: str, content_type: str, data: bytes) -> BrandFile:
        digest = hashlib.sha256(data).hexdigest()[:10]
        return cls(f"{kind}-{digest}.{EXTENSIONS[content_type]}", content_type, data)

    @property
    def etag(self) -> str:
        return self.name.rsplit(".", 1)[0].rsplit("-", 1)[1]


def checked_image(kind: str, data: bytes) -> str:
    """The content type of an uploaded logo or favicon, or ValidationError saying what is wrong."""
    if not data:
        raise ValidationError(f"The {kind} file is empty.", field=kind)
    limit = MAX_BYTES[kind]
    if len(data) > limit:
        raise ValidationError(
            f"The {kind} is {len(data) / 1000:.0f} kB; it may be at most {limit // 1000} kB.",
            field=kind,
        )
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if _looks_like_svg(data):
        _check_svg(kind, data)
        return SVG
    raise ValidationError(f"The {kind} must be a PNG or SVG image.", field=kind)


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype")) and b"<svg" in data.lower()


def _check_svg(kind: str, data: bytes) -> None:
    refused = ValidationError(
        f"The {kind} SVG holds script, links or embedded content; upload a plain drawing "
        "(or export it again as an optimised SVG, or as a PNG).",
        field=kind,
    )
    if b"<!doctype" in data.lower() or b"<!entity" in data.lower():
        raise refused
    if _OUTSIDE_REFERENCE.search(data):
        raise refused
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise ValidationError(f"The {kind} is not a well-formed SVG file.", field=kind) from error
    if root.tag != _SVG_NAMESPACE + "svg":
        raise ValidationError(f"The {kind} is not an SVG image.", field=kind)
    for element in root.iter():
        name = str(element.tag).rsplit("}", 1)[-1].lower()
        if name in _FORBIDDEN_ELEMENTS:
            raise refused
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1].lower()
            if local.startswith("on") or (local == "href" and not value.startswith("#")):
                raise refused


def theme_stylesheet(accent_light: str | None, accent_dark: str | None) -> bytes | None:
    """The accents as CSS custom properties over static/css/app.css's (None without accents)."""
    rules = []
    if accent_light:
        rules.append(f":root {{ --link: {accent_light}; --focus: {accent_light}; }}\n")
    if accent_dark:
        rules.append(
            "@media (prefers-color-scheme: dark) {\n"
            f"  :root {{ --link: {accent_dark}; --focus: {accent_dark}; }}\n}}\n"
        )
    return "".join(rules).encode() if rules else None
