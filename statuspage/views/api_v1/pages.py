"""The page: there is one, with a stable id (derived from the site's address). Its name, address
and zone are the site's settings, so a PATCH may restate them but not change them."""

from __future__ import annotations

from typing import Any

from statuspage.core.errors import ValidationError
from statuspage.permissions import Permission
from statuspage.views.api_v1 import access, shapes
from statuspage.views.api_v1.bodies import Envelope
from statuspage.views.api_v1.routing import ApiRoutes

routes = ApiRoutes("Pages")
PAGE_FIELDS = ("name", "url", "time_zone", "notifications_from_email", "subdomain", "domain")
# What each field's value comes from: the site's settings.
SETTINGS = {"name": "STATUSPAGE_PAGE_NAME", "url": "STATUSPAGE_BASE_URL",
            "time_zone": "STATUSPAGE_TIMEZONE"}  # fmt: skip


@routes.route("/pages", "GET", "List the pages (there is one)", returns="Page[]")
def list_pages() -> Any:
    return [shapes.page()]


@routes.route("/pages/<page_id>", "GET", "Get the page", returns="Page")
def get_page() -> Any:
    return shapes.page()


@routes.route("/pages/<page_id>", "PATCH", "Update the page (restating its settings)",
              container="page", fields=PAGE_FIELDS, returns="Page")  # fmt: skip
def update_page() -> Any:
    access.require(Permission.MANAGE_CONFIGURATION)
    body = Envelope("page", PAGE_FIELDS)
    page = shapes.page()
    for name in PAGE_FIELDS:
        value = body.text(name, max_length=500)
        if value is not None and value != page.get(name):
            setting = SETTINGS.get(name)
            where = f"the setting {setting}" if setting else "nothing here: it cannot be set"
            raise ValidationError(f"page[{name}] comes from {where}.", field=name)
    return page
