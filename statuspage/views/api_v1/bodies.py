"""What an API request carries, read as Statuspage documents it: a JSON object or a form
(`incident[name]=...&incident[component_ids][]=...`) with the fields inside one envelope key,
pagination (`page`, `per_page`), and times in ISO 8601. Unknown fields, wrong enums and values of
the wrong type are refused by name (422), never guessed at."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from flask import request

from statuspage.core.errors import ValidationError
from statuspage.core.times import check_input_year
from statuspage.services.validation import has_control_characters

E = TypeVar("E", bound=StrEnum)
PER_PAGE_DEFAULT = 100
PER_PAGE_MAX = 100
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_LONGEST_TEXT = 100_000


def read_body() -> dict[str, Any]:
    """The request's fields: its JSON object, or its form as nested objects and lists."""
    if request.mimetype == "application/json":
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # nested past what the parser follows: not a body we take
            data = None
        if not isinstance(data, dict):
            raise ValidationError("The body is not a JSON object.", field="body")
        _check_strings(data)
        return data
    nested: dict[str, Any] = {}
    for name, value in request.form.items(multi=True):
        _put(nested, name, value)
    return nested


def _check_strings(value: object, depth: int = 0) -> None:
    if depth > 8:
        raise ValidationError("The body is nested too deeply.", field="body")
    if isinstance(value, str) and has_control_characters(value, multiline=True):
        raise ValidationError("The body holds a control character.", field="body")
    items: Iterable[object] = ()
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    for item in items:
        _check_strings(item, depth + 1)


def _put(nested: dict[str, Any], name: str, value: str) -> None:
    """`incident[components][7]=major_outage` as {"incident": {"components": {"7": ...}}}."""
    match = _KEY.match(name)
    if match is None:
        raise ValidationError(f"{name[:60]!r} is not a field name.", field=name[:60])
    keys = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
    target: Any = nested
    for key, following in zip(keys, [*keys[1:], None], strict=True):
        if following is None:
            _store(target, key, value, name)
        elif following == "":
            target = _child(target, key, list, name)
            _store(target, "", value, name)
            return
        else:
            target = _child(target, key, dict, name)


def _child(target: Any, key: str, kind: type, name: str) -> Any:
    if not isinstance(target, dict) or not key:
        raise ValidationError(f"{name[:60]!r} is not a field name.", field=name[:60])
    child = target.setdefault(key, kind())
    if not isinstance(child, kind):
        raise ValidationError(f"{name[:60]!r} mixes a list and an object.", field=name[:60])
    return child


def _store(target: Any, key: str, value: str, name: str) -> None:
    if isinstance(target, list):
        target.append(value)
    elif isinstance(target, dict) and key and key not in target:
        target[key] = value
    else:
        raise ValidationError(f"{name[:60]!r} is sent twice.", field=name[:60])


class Envelope:
    """The fields inside the body's envelope key, refused if any is unknown."""

    def __init__(
        self, container: str, allowed: Iterable[str], *, required: bool = True,
        also: Iterable[str] = (),
    ) -> None:  # fmt: skip
        body = read_body()
        unknown = set(body) - {container, *also}
        if unknown:
            raise ValidationError(f"Unknown field {min(unknown)[:60]!r}.", field="body")
        if required and container not in body:
            raise ValidationError(f"The body needs a {container!r} object.", field=container)
        self._take(container, body.get(container, {}), allowed)
        self.top = body

    def _take(self, container: str, fields: object, allowed: Iterable[str]) -> None:
        if not isinstance(fields, dict):
            raise ValidationError(f"{container!r} must be an object.", field=container)
        unknown = set(fields) - set(allowed)
        if unknown:
            name = min(unknown)[:60]
            raise ValidationError(f"Unknown field {container}[{name}].", field=name)
        self.container = container
        self.fields: dict[str, Any] = fields

    def each(self, name: str, allowed: Iterable[str]) -> dict[str, Envelope]:
        """`message[audiences][customers][body]`: each key's object, read as an envelope."""
        value = self.fields.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict) or len(value) > 100:
            raise ValidationError(f"{self.container}[{name}] must be an object.", field=name)
        inner = {}
        for key, fields in value.items():
            envelope = Envelope.__new__(Envelope)
            envelope._take(f"{self.container}[{name}][{str(key)[:40]}]", fields, allowed)
            envelope.top = self.top
            inner[str(key)] = envelope
        return inner

    def __contains__(self, name: str) -> bool:
        return name in self.fields

    def text(
        self, name: str, *, required: bool = False, max_length: int = _LONGEST_TEXT
    ) -> str | None:
        value = self.fields.get(name)
        if value is None:
            if required:
                raise ValidationError(f"{self.container}[{name}] is required.", field=name)
            return None
        if not isinstance(value, str):
            raise ValidationError(f"{self.container}[{name}] must be a string.", field=name)
        if len(value) > max_length:
            raise ValidationError(
                f"{self.container}[{name}] is too long (at most {max_length} characters).",
                field=name,
            )
        return value

    def choice(self, name: str, kind: type[E], *, allowed: Iterable[E] | None = None) -> E | None:
        value = self.text(name, max_length=60)
        if value is None:
            return None
        choices = list(allowed if allowed is not None else kind)
        try:
            chosen = kind(value)
        except ValueError:
            chosen = None
        if chosen not in choices:
            raise ValidationError(
                f"{self.container}[{name}] must be one of: {', '.join(map(str, choices))}.",
                field=name,
            )
        return chosen

    def flag(self, name: str, default: bool) -> bool:
        value = self.fields.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        raise ValidationError(f"{self.container}[{name}] must be true or false.", field=name)

    def ids(self, name: str) -> list[int]:
        value = self.fields.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or len(value) > 1000:
            raise ValidationError(f"{self.container}[{name}] must be a list of ids.", field=name)
        return [record_id(item, field=name) for item in value]

    def statuses(self, name: str, kind: type[E]) -> dict[int, E]:
        """`components`: {component id: status}."""
        value = self.fields.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict) or len(value) > 1000:
            raise ValidationError(
                f"{self.container}[{name}] must map component ids to statuses.", field=name
            )
        out: dict[int, E] = {}
        for key, status in value.items():
            try:
                out[record_id(key, field=name)] = kind(status)
            except (ValueError, TypeError):
                raise ValidationError(
                    f"{self.container}[{name}][{str(key)[:20]}] must be one of: "
                    f"{', '.join(map(str, kind))}.",
                    field=name,
                ) from None
        return out

    def moment(self, name: str) -> datetime | None:
        value = self.text(name, max_length=60)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                f"{self.container}[{name}] must be an ISO 8601 time.", field=name
            ) from None
        check_input_year(moment.date(), field=name)
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def record_id(value: object, *, field: str) -> int:
    """An id as sent (a number, or digits in a string, as ids are strings in answers)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f"{str(value)[:30]!r} is not an id.", field=field)
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > 2**31 - 1:
        raise ValidationError(f"{text[:30]!r} is not an id.", field=field)
    return int(text)


def pagination() -> tuple[int, int]:
    """(page, per_page) from the query: page from 1, at most PER_PAGE_MAX a page."""
    page = _whole(request.args.get("page"), "page", default=1, top=100_000)
    per_page = _whole(request.args.get("per_page"), "per_page", default=PER_PAGE_DEFAULT,
                      top=PER_PAGE_MAX)  # fmt: skip
    return page, per_page


def _whole(value: str | None, name: str, *, default: int, top: int) -> int:
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value[:7]) <= top:
        raise ValidationError(f"{name} must be a whole number from 1 to {top}.", field=name)
    return int(value)
