"""The audit trail: every change made in the console, by whom and when, filterable."""

from __future__ import annotations

from flask import render_template, request

from statuspage.core.errors import ValidationError
from statuspage.core.site import current_site
from statuspage.core.times import parse_local_input
from statuspage.permissions import Permission
from statuspage.services import accounts, records
from statuspage.views.access import permission_required
from statuspage.views.admin.formdata import parse_int
from statuspage.views.admin.routing import Routes

routes = Routes()


@routes.get("/audit")
@permission_required(Permission.VIEW_AUDIT)
def audit() -> str | tuple[str, int]:
    args = request.args
    error = None
    try:
        since = parse_local_input(args.get("since"), current_site().zone, field="since")
        until = parse_local_input(args.get("until"), current_site().zone, field="until")
    except ValidationError as refusal:
        since = until = None
        error = str(refusal)
    entries = records.list_audit(
        actor_id=parse_int(args.get("actor")),
        target_type=args.get("target") or None,
        action=args.get("action") or None,
        since=since,
        until=until,
        before_id=parse_int(args.get("before")),
    )
    return render_template(
        "admin/audit.html",
        entries=entries,
        users=accounts.list_users(),
        target_types=records.audit_target_types(),
        filters=args,
        error=error,
        page_size=records.AUDIT_PAGE_SIZE,
    ), 422 if error else 200
