"""Screenshots on timeline notes: kept only when the bytes are a PNG, JPEG, GIF or WebP image of
a bounded size, named safely, and read back only through the console (never a public surface).

The type is sniffed from the file's first bytes, never taken from its name or the browser's word,
and it is the only type the file is ever served as: an SVG or an HTML page named "shot.png" is
refused, so nothing uploaded can run script in a reader's browser.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import defer

from statuspage.core.errors import NotFound, ValidationError
from statuspage.extensions import db
from statuspage.models import NoteAttachment, TimelineEvent, TimelineKind

MAX_SCREENSHOT_BYTES = 1_500_000  # under the request cap (MAX_CONTENT_LENGTH, 2 MiB)
MAX_SCREENSHOTS_PER_NOTE = 4
FILENAME_LENGTH = 120

# What each accepted type starts with (WebP: "RIFF", four bytes of length, then "WEBP").
_SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/gif", b"GIF87a", 0),
    ("image/gif", b"GIF89a", 0),
    ("image/webp", b"WEBP", 8),
)
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name the browser gave, and its bytes."""

    filename: str
    data: bytes


def sniff_image_type(data: bytes) -> str | None:
    """The image type the bytes begin with, if it is one we keep."""
    if data.startswith(b"RIFF") and data[8:12] != b"WEBP":
        return None
    for content_type, signature, offset in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return content_type
    return None


def attach_screenshots(
    event: TimelineEvent, uploads: Iterable[Upload], *, now: datetime
) -> list[NoteAttachment]:
    """Keep each upload on the note, or refuse the lot with what is wrong with which file."""
    uploads = list(uploads)
    if event.kind is not TimelineKind.NOTE:
        raise ValidationError("Screenshots go on notes.", field="screenshot")
    if len(uploads) > MAX_SCREENSHOTS_PER_NOTE:
        raise ValidationError(
            f"At most {MAX_SCREENSHOTS_PER_NOTE} screenshots per note.", field="screenshot"
        )
    kept = []
    for upload in uploads:
        content_type = _checked_type(upload)
        attachment = NoteAttachment(
            event_id=event.id,
            filename=safe_filename(upload.filename, content_type),
            content_type=content_type,
            size=len(upload.data),
            data=upload.data,
            created_at=now,
        )
        db.session.add(attachment)
        kept.append(attachment)
    db.session.flush()
    return kept


def attachments_by_note(incident_id: int) -> dict[int, list[NoteAttachment]]:
    """The screenshots of the incident's notes, by note (without their bytes)."""
    rows = db.session.scalars(
        sa.select(NoteAttachment)
        .join(TimelineEvent, TimelineEvent.id == NoteAttachment.event_id)
        .where(TimelineEvent.incident_id == incident_id)
        .options(defer(NoteAttachment.data))
        .order_by(NoteAttachment.id)
    )
    found: dict[int, list[NoteAttachment]] = {}
    for attachment in rows:
        found.setdefault(attachment.event_id, []).append(attachment)
    return found


def get_attachment(incident_id: int, attachment_id: int) -> NoteAttachment:
    """One screenshot of one incident's notes (NotFound for any other pairing)."""
    attachment = db.session.scalar(
        sa.select(NoteAttachment)
        .join(TimelineEvent, TimelineEvent.id == NoteAttachment.event_id)
        .where(NoteAttachment.id == attachment_id, TimelineEvent.incident_id == incident_id)
    )
    if attachment is None:
        raise NotFound("There is no such screenshot on this incident.")
    return attachment


def safe_filename(name: str, content_type: str) -> str:
    """A name to show and download as: letters, digits, dot, dash and underscore, with the
    extension of the sniffed type (whatever the uploader called it)."""
    stem = unicodedata.normalize("NFKD", name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem.encode("ascii", "ignore").decode()).strip("-")
    extension = _EXTENSIONS[content_type]
    return f"{(stem or 'screenshot')[: FILENAME_LENGTH - len(extension) - 1]}.{extension}"


def _checked_type(upload: Upload) -> str:
    shown = safe_filename(upload.filename, "image/png").rsplit(".", 1)[0]
    if not upload.data:
        raise ValidationError(f"{shown} is empty.", field="screenshot")
    if len(upload.data) > MAX_SCREENSHOT_BYTES:
        raise ValidationError(
            f"{shown} is {len(upload.data) / 1_000_000:.1f} MB; a screenshot may be at most "
            f"{MAX_SCREENSHOT_BYTES / 1_000_000:.1f} MB.",
            field="screenshot",
        )
    content_type = sniff_image_type(upload.data)
    if content_type is None:
        raise ValidationError(f"{shown} is not a PNG, JPEG, GIF or WebP image.", field="screenshot")
    return content_type
