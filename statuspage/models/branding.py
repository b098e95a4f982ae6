"""The page's branding: one row of site settings (name, colours, links) with its two files."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from statuspage.extensions import db

SITE_SETTINGS_ROW_ID = 1


class SiteSettings(db.Model):
    """A single row; empty columns fall back to the configuration (STATUSPAGE_PAGE_NAME) or to
    the built-in look, so a fresh install needs no row at all."""

    __tablename__ = "site_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_name: Mapped[str | None] = mapped_column(sa.String(100))
    # '#rrggbb', checked for contrast against each scheme's page background when saved.
    accent_light: Mapped[str | None] = mapped_column(sa.String(7))
    accent_dark: Mapped[str | None] = mapped_column(sa.String(7))
    home_url: Mapped[str | None] = mapped_column(sa.String(500))
    privacy_url: Mapped[str | None] = mapped_column(sa.String(500))
    support_url: Mapped[str | None] = mapped_column(sa.String(500))
    powered_by: Mapped[bool] = mapped_column(default=True)
    # Sniffed from the bytes (image/png or image/svg+xml), and the only type each is served as.
    logo_type: Mapped[str | None] = mapped_column(sa.String(40))
    logo_data: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    favicon_type: Mapped[str | None] = mapped_column(sa.String(40))
    favicon_data: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    changed_at: Mapped[datetime]
