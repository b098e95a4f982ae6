"""What the public may see, and the reads every public surface makes through this package.

Only public components and groups, and only updates published to a public audience, ever leave
it (invariant 1); `public.types` holds the values it answers with. Its modules: `catalogue`
(components), `incidents` (incidents as the public was told them), `page` (the status page),
`history`, `index` (what the export writes), `api` (Statuspage's JSON documents), `feeds` (Atom,
RSS and the maintenance calendar), `version` (the publication version public caches key on), and
`memo` (answers remembered for one transaction).
"""

from statuspage.services.public.catalogue import component_catalogue, public_component
from statuspage.services.public.history import history_page, history_page_count
from statuspage.services.public.incidents import (
    ACTIVE_MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    UPCOMING_MAINTENANCE_STATUSES,
    calendar_maintenance,
    incident_page,
    late_notices,
    maintenance_in,
    next_edge,
    open_incidents,
    recent,
    recent_updates,
    recently_updated,
)
from statuspage.services.public.index import (
    components_of,
    history_pages_of,
    incident_pages,
    public_incident_ids,
)
from statuspage.services.public.page import (
    component_uptime,
    page_status,
    page_updated_at,
    rollup,
    status_page,
)

__all__ = [
    "ACTIVE_MAINTENANCE_STATUSES",
    "OPEN_INCIDENT_STATUSES",
    "UPCOMING_MAINTENANCE_STATUSES",
    "calendar_maintenance",
    "component_catalogue",
    "component_uptime",
    "components_of",
    "history_page",
    "history_page_count",
    "history_pages_of",
    "incident_page",
    "incident_pages",
    "late_notices",
    "maintenance_in",
    "next_edge",
    "open_incidents",
    "page_status",
    "page_updated_at",
    "public_component",
    "public_incident_ids",
    "recent",
    "recent_updates",
    "recently_updated",
    "rollup",
    "status_page",
]
