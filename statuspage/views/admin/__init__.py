"""The liaison console (`/admin`): one blueprint, with the routes of one module per console area.

Each area module records its routes (`routes`, views.admin.routing); they are all put on this one
blueprint here, so every endpoint is `admin.<view>`, with the console's template context.
"""

from flask import Blueprint

from statuspage.views.admin import (
    attachments,
    audiences,
    audit,
    cadence,
    components,
    compose,
    dashboard,
    incidents,
    maintenance,
    message_templates,
    postmortems,
    profile,
    subscribers,
    users,
)
from statuspage.views.admin.context import console_context

AREAS = (
    dashboard,
    incidents,
    attachments,
    postmortems,
    compose,
    maintenance,
    message_templates,
    audiences,
    cadence,
    components,
    subscribers,
    users,
    audit,
    profile,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
for area in AREAS:
    area.routes.register(bp)
bp.context_processor(console_context)
