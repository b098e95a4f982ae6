"""Checks shared by services for text that people type (and by the check on every request)."""

from __future__ import annotations

import re

from statuspage.core.errors import ValidationError

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    """Whether the text holds characters nobody types: control characters other than a tab, and
    line breaks unless it is the text of a text area."""
    return bool(_CONTROL_CHARACTERS.search(text)) or (
        not multiline and ("\n" in text or "\r" in text)
    )


def clean_text(value: str | None, *, field: str, max_length: int, multiline: bool = False) -> str:
    """Return the value stripped (line ends as "\n": browsers send CRLF), or raise
    ValidationError naming the field and the problem."""
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError(f"{field.capitalize()} is required.", field=field)
    if len(text) > max_length:
        raise ValidationError(
            f"{field.capitalize()} is too long ({len(text)} characters, at most {max_length}).",
            field=field,
        )
    if has_control_characters(text, multiline=multiline):
        raise ValidationError(
            f"{field.capitalize()} contains characters that are not allowed.", field=field
        )
    return text


def clean_optional_text(
    value: str | None, *, field: str, max_length: int, multiline: bool = False
) -> str | None:
    """Like clean_text, but blank input gives None instead of an error."""
    if value is None or not value.strip():
        return None
    return clean_text(value, field=field, max_length=max_length, multiline=multiline)
