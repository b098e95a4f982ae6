"""The liaison console (`/admin`): one blueprint, with the routes of one module per console area.

Each area module records its routes (`routes`, views.admin.routing); they are all put on this one
blueprint here, so every endpoint is `admin.<view>`, with the console's template context.
"""

from flask import Blueprint
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from statuspage.views.admin import (
    api_keys,
    attachments,
    audiences,
    audit,
    branding,
    cadence,
    components,
    compose,
    dashboard,
    incidents,
    integrations,
    maintenance,
    message_templates,
    postmortems,
    profile,
    second_factor,
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
    integrations,
    branding,
    subscribers,
    users,
    audit,
    profile,
    api_keys,
    second_factor,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
for area in AREAS:
    area.routes.register(bp)
bp.context_processor(console_context)


@bp.before_request
def _second_factor_first() -> BaseResponse | None:
    # Signed in, but the role needs a second factor that is not set up yet: that comes first.
    if not current_user.is_authenticated:
        return None
    return second_factor.second_factor_missing()
