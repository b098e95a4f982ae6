"""The liaison console (`/admin`): one blueprint, one module per area of the console."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# The area modules register their routes on bp when imported.
from statuspage.views.admin import (  # noqa: F401
    audiences,
    audit,
    cadence,
    components,
    compose,
    dashboard,
    incidents,
    maintenance,
    message_templates,
    profile,
    subscribers,
    users,
)
