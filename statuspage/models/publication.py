"""The publication version: one counter that moves whenever anything public changes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from statuspage.extensions import db

PUBLICATION_ROW_ID = 1


class Publication(db.Model):
    """A single row; public caches are keyed by its version, so a bump invalidates them all."""

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    changed_at: Mapped[datetime]
