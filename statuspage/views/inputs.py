"""What a request may carry, checked once, before the CSRF check or any view reads it.

Ids in URLs stop at the largest id a row can have: every `<int:...>` is a RecordId, so a larger
number is a 404 like any unknown id instead of an error from the database. The address and the
query string are UTF-8, and neither they nor a form hold control characters (a text area's line
breaks and tabs aside): NUL and its kin go nowhere near the database, a log line or a header. A
body is a form (or, for the management API, JSON: views.api_v1.bodies checks it; the alert
receivers under /hooks/ read their JSON themselves), and no larger than MAX_CONTENT_LENGTH
(views.errors answers that 413). Each refusal says what was wrong: 400, or 415 for a body that is
not a form.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, Map

from statuspage.core.dbtypes import LARGEST_INTEGER
from statuspage.services.validation import has_control_characters

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# The management API also takes JSON, as Statuspage's does (views.api_v1.bodies reads it).
JSON_PREFIX = "/api/v1/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Addresses that take JSON from machines (alert receivers), which read and check it themselves.
JSON_BODY_PREFIXES = ("/hooks/",)


class RecordId(IntegerConverter):
    """`<int:...>` in every route: a whole number no larger than an id can be."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = LARGEST_INTEGER,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def init_app(app: Flask) -> None:
    """Call before any route is added (rules take their converter then) and before the CSRF
    check is set up (before_request functions run in the order they were added)."""
    app.url_map.converters["int"] = RecordId
    app.before_request(refuse_malformed_input)


def refuse_malformed_input() -> None:
    """Abort with a clear 400 or 415 when the request is not something our pages could send."""
    path = _wsgi_bytes(request.environ.get("PATH_INFO", ""))
    if not _is_utf8(path) or has_control_characters(request.path):
        _refuse("The address")
    if not _is_utf8(unquote_to_bytes(request.query_string)):
        _refuse("The query string")
    for name, value in request.args.items(multi=True):
        if has_control_characters(name) or has_control_characters(value):
            _refuse(f"The query parameter {name[:40]!r}")
    if request.method not in BODY_METHODS or request.path.startswith(JSON_BODY_PREFIXES):
        return
    if request.mimetype == "application/json" and request.path.startswith(JSON_PREFIX):
        return
    if request.mimetype and request.mimetype not in FORM_TYPES:
        abort(
            415,
            description=f"This site takes forms (sent as {' or '.join(sorted(FORM_TYPES))}), "
            f"not {request.mimetype[:60]}.",
        )
    for name, value in request.form.items(multi=True):
        if has_control_characters(name) or has_control_characters(value, multiline=True):
            _refuse(f"The form field {name[:40]!r}")


def _wsgi_bytes(text: str) -> bytes:
    """The bytes behind a WSGI string: PEP 3333 has servers read them as Latin-1."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")  # a server that decoded them itself


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _refuse(where: str) -> None:
    abort(
        400,
        description=f"{where} holds a control character or bytes that are not UTF-8, which "
        "nothing on this site accepts. Remove them (they are often pasted in unseen) and try "
        "again.",
    )
