"""The publication version: bumped in the same transaction as any change a public surface shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import Publication
from statuspage.models.publication import PUBLICATION_ROW_ID

NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def bump_publication(*, now: datetime) -> None:
    """Move the publication version forward so every public cache rebuilds."""
    result = db.session.execute(
        sa.update(Publication)
        .where(Publication.id == PUBLICATION_ROW_ID)
        .values(version=Publication.version + 1, changed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        db.session.add(Publication(id=PUBLICATION_ROW_ID, version=1, changed_at=now))
        db.session.flush()


def current_version() -> int:
    """Return the publication version (0 before anything was ever published)."""
    version = db.session.scalar(
        sa.select(Publication.version).where(Publication.id == PUBLICATION_ROW_ID)
    )
    return version or 0


@dataclass(frozen=True)
class PublicationState:
    version: int
    changed_at: datetime


def current_publication() -> PublicationState:
    """The publication version and when it last moved (epoch before anything was published)."""
    row = db.session.execute(
        sa.select(Publication.version, Publication.changed_at).where(
            Publication.id == PUBLICATION_ROW_ID
        )
    ).first()
    if row is None:
        return PublicationState(0, NEVER)
    return PublicationState(row.version, row.changed_at)
