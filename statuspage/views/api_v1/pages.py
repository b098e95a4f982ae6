"""The page: there is one, with a stable id (derived from the site's address). A PATCH may rename
it (as the console's branding does); its address and zone are the site's settings, so a PATCH may
restate them but not change them."""

from __future__ import annotations

from typing import Any

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.extensions import db
from statuspage.permissions import Permission
from statuspage.services.branding import settings as branding
from statuspage.views.api_v1 import access, shapes
from statuspage.views.api_v1.bodies import Envelope
from statuspage.views.api_v1.routing import ApiRoutes

routes = ApiRoutes("Pages")
# Restated as they are, or refused: the site's settings, or nothing that can be set here.
FIXED_FIELDS = ("url", "time_zone", "notifications_from_email", "subdomain", "domain")
PAGE_FIELDS = ("name", *FIXED_FIELDS)
# The settings those that have a value come from.
SETTINGS = {"url": "STATUSPAGE_BASE_URL", "time_zone": "STATUSPAGE_TIMEZONE"}


@routes.route("/pages", "GET", "List the pages (there is one)", returns="Page[]")
def list_pages() -> Any:
    return [shapes.page()]


@routes.route("/pages/<page_id>", "GET", "Get the page", returns="Page")
def get_page() -> Any:
    return shapes.page()


@routes.route("/pages/<page_id>", "PATCH", "Rename the page (its address and zone are settings)",
              container="page", fields=PAGE_FIELDS, returns="Page")  # fmt: skip
def update_page() -> Any:
    user = access.require(Permission.MANAGE_CONFIGURATION)
    body = Envelope("page", PAGE_FIELDS)
    page = shapes.page()
    for field in FIXED_FIELDS:
        value = body.text(field, max_length=500)
        if value is not None and value != page.get(field):
            setting = SETTINGS.get(field)
            where = f"the setting {setting}" if setting else "nothing here: it cannot be set"
            raise ValidationError(f"page[{field}] comes from {where}.", field=field)
    name = body.text("name", max_length=500)
    if name is not None and name != page["name"]:
        branding.rename_page(name, by=user, now=utcnow())
        db.session.commit()
    return shapes.page()
