"""What every console page's template gets: `may(...)` and `may_declare()` (the permission table
decides what a page offers), the component statuses for its forms, and the signed-in person's open cadence alerts for
the banner (templates/admin/_alerts.html)."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from statuspage.core.clock import utcnow
from statuspage.models import ComponentStatus
from statuspage.permissions import Permission, has_permission, may_declare
from statuspage.services.cadence.notices import open_alerts_for
from statuspage.views.access import me


def console_context() -> dict[str, object]:
    """The console blueprint's context processor."""
    signed_in = current_user.is_authenticated
    return {
        "may": lambda name: has_permission(current_user, Permission(name)),
        "may_declare": lambda: may_declare(current_user, anyone_may=anyone_may_declare()),
        "component_statuses": list(ComponentStatus),
        "my_alerts": open_alerts_for(me()) if signed_in else [],
        "alerts_at": utcnow(),
    }


def anyone_may_declare() -> bool:
    return bool(current_app.config["ANYONE_MAY_DECLARE"])
