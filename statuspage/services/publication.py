"""The publication version: bumped in the same transaction as any change a public surface shows."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import Publication
from statuspage.models.publication import PUBLICATION_ROW_ID


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
