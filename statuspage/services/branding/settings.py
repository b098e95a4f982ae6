"""The branding admins set in the console: read for every public surface, saved (audited) as one
row, each change moving the publication version so every public cache and snapshot renders again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa

from statuspage.core.errors import ValidationError
from statuspage.core.site import forget_current_site
from statuspage.extensions import db
from statuspage.models import SiteSettings, User
from statuspage.models.branding import SITE_SETTINGS_ROW_ID
from statuspage.services.branding import colours, files
from statuspage.services.branding.files import CSS, BrandFile
from statuspage.services.public.version import bump_publication
from statuspage.services.records import record_audit
from statuspage.services.validation import clean_optional_text

URL_LENGTH = 500
LINK_FIELDS = ("home_url", "privacy_url", "support_url")
# What renaming the page alone keeps of the saved branding (its files are kept by saving none).
KEPT_ON_RENAME = ("accent_light", "accent_dark", *LINK_FIELDS, "powered_by")


@dataclass(frozen=True)
class Brand:
    """What the public frame shows: the files by name (None: the built-in look) and the links."""

    logo: BrandFile | None = None
    favicon: BrandFile | None = None
    theme: BrandFile | None = None
    home_url: str | None = None
    privacy_url: str | None = None
    support_url: str | None = None
    powered_by: bool = True

    @property
    def files(self) -> list[BrandFile]:
        return [f for f in (self.logo, self.favicon, self.theme) if f is not None]

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything the frame shows changes (the export's cue to redo it all)."""
        parts = [*(f.name for f in self.files), *(self.links()), str(self.powered_by)]
        return "|".join(parts)

    def links(self) -> list[str]:
        return [self.home_url or "", self.privacy_url or "", self.support_url or ""]


@dataclass(frozen=True)
class BrandingChoice:
    """What the admin chose in the form, as typed; `logo`/`favicon` hold a new upload's bytes
    (None: keep the current file), `remove_*` drop the current one."""

    page_name: str | None = None
    accent_light: str | None = None
    accent_dark: str | None = None
    home_url: str | None = None
    privacy_url: str | None = None
    support_url: str | None = None
    powered_by: bool = True
    logo: bytes | None = None
    favicon: bytes | None = None
    remove_logo: bool = False
    remove_favicon: bool = False


def site_settings() -> SiteSettings | None:
    """The one row (None until an admin saves branding)."""
    return db.session.get(SiteSettings, SITE_SETTINGS_ROW_ID)


def page_name() -> str | None:
    """The page name an admin chose, if any (core.site's current_site asks for it)."""
    try:
        settings = site_settings()
    except sa.exc.SQLAlchemyError:
        # An error page for a failed statement still names the page, by its configured name.
        return None
    return settings.page_name if settings else None


def current_brand() -> Brand:
    """The brand every public surface is rendered with."""
    settings = site_settings()
    if settings is None:
        return Brand()
    theme = files.theme_stylesheet(settings.accent_light, settings.accent_dark)
    return Brand(
        logo=_file("logo", settings.logo_type, settings.logo_data),
        favicon=_file("favicon", settings.favicon_type, settings.favicon_data),
        theme=BrandFile.of("theme", CSS, theme) if theme else None,
        home_url=settings.home_url,
        privacy_url=settings.privacy_url,
        support_url=settings.support_url,
        powered_by=settings.powered_by,
    )


def brand_or_default() -> Brand:
    """The brand, or the built-in look when the database cannot say (an error page's frame)."""
    try:
        return current_brand()
    except sa.exc.SQLAlchemyError:
        return Brand()


def brand_file(name: str) -> BrandFile | None:
    """The current brand's file of that name (an old name is gone: its content changed)."""
    return next((f for f in current_brand().files if f.name == name), None)


def _file(kind: str, content_type: str | None, data: bytes | None) -> BrandFile | None:
    return BrandFile.of(kind, content_type, data) if content_type and data else None


def save_branding(choice: BrandingChoice, *, by: User, now: datetime) -> SiteSettings:
    """Check everything, then keep it in the one row, audited (ValidationError names the field)."""
    values = {
        "page_name": clean_optional_text(choice.page_name, field="page name", max_length=100),
        "accent_light": colours.clean_accent(choice.accent_light, scheme="light"),
        "accent_dark": colours.clean_accent(choice.accent_dark, scheme="dark"),
        **{field: clean_url(getattr(choice, field), field=field) for field in LINK_FIELDS},
        "powered_by": choice.powered_by,
    }
    uploads = {
        kind: (files.checked_image(kind, data), data)
        for kind, data in (("logo", choice.logo), ("favicon", choice.favicon))
        if data is not None
    }
    settings = site_settings()
    if settings is None:
        settings = SiteSettings(id=SITE_SETTINGS_ROW_ID, changed_at=now)
        db.session.add(settings)
    for kind, remove in (("logo", choice.remove_logo), ("favicon", choice.remove_favicon)):
        if kind in uploads:
            values[f"{kind}_type"], values[f"{kind}_data"] = uploads[kind]
        elif remove:
            values[f"{kind}_type"] = values[f"{kind}_data"] = None
    changed = {k for k, v in values.items() if getattr(settings, k, None) != v}
    for key, value in values.items():
        setattr(settings, key, value)
    settings.changed_at = now
    forget_current_site()
    record_audit(
        by,
        "branding.save",
        "site_settings",
        SITE_SETTINGS_ROW_ID,
        now=now,
        details={
            "changed": sorted({k.removesuffix("_data").removesuffix("_type") for k in changed})
        },
    )
    bump_publication(now=now)
    db.session.flush()
    return settings


def rename_page(name: str, *, by: User, now: datetime) -> SiteSettings:
    """Choose the page's name and keep the rest of the branding as it is (a blank name goes back
    to the configured one)."""
    saved = site_settings()
    kept = {field: getattr(saved, field) for field in KEPT_ON_RENAME} if saved else {}
    return save_branding(BrandingChoice(page_name=name, **kept), by=by, now=now)


def clean_url(value: str | None, *, field: str) -> str | None:
    """An http(s) address with a host (None when blank), or ValidationError: a footer link never
    runs script (javascript:, data:) or leaves the web."""
    text = (value or "").strip()
    if not text:
        return None
    label = field.removesuffix("_url").replace("_", " ")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            f"The {label} link must be a web address starting with https:// or http://.",
            field=field,
        )
    if len(text) > URL_LENGTH or any(c.isspace() or ord(c) < 32 for c in text):
        raise ValidationError(
            f"The {label} link must be one address of at most {URL_LENGTH} characters, "
            "without spaces.",
            field=field,
        )
    return text
