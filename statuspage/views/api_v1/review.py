"""What Statuspage lacks, in its style: the second person's review of an update left waiting
(publish it, or send it back with a comment), and the incident's cadence figures per audience."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.permissions import Permission
from statuspage.services.api import incidents as writing
from statuspage.services.cadence.figures import incident_figures
from statuspage.services.incidents import lifecycle, reviews
from statuspage.views.api_v1 import access, shapes
from statuspage.views.api_v1.bodies import Envelope
from statuspage.views.api_v1.routing import ApiRoutes

routes = ApiRoutes("Review and cadence (ours)")
ONE = "/pages/<page_id>/incidents/<int:incident_id>"
UPDATE = ONE + "/incident_updates/<int:update_id>"


@routes.route(UPDATE + "/publish", "POST",
              "Publish an update waiting for review (a second person approves it)",
              returns="IncidentUpdate")  # fmt: skip
def publish_waiting_update(incident_id: int, update_id: int) -> Any:
    user = access.require(Permission.WRITE_UPDATES)
    update = writing.approve(writing.update_of(incident_id, update_id), by=user, now=utcnow())
    db.session.commit()
    return shapes.incident_update(update)


@routes.route(UPDATE + "/send_back", "POST", "Send an update waiting for review back to its author",
              container="review", fields=("comment",), returns="IncidentUpdate")  # fmt: skip
def send_back_update(incident_id: int, update_id: int) -> Any:
    user = access.require(Permission.APPROVE_UPDATES)
    comment = Envelope("review", ("comment",)).text("comment", required=True) or ""
    update = writing.update_of(incident_id, update_id)
    reviews.request_changes(update, comment, by=user, now=utcnow())
    db.session.commit()
    return shapes.incident_update(update)


def _seconds(span: timedelta | None) -> int | None:
    return None if span is None else int(span.total_seconds())


@routes.route(
    ONE + "/cadence",
    "GET",
    "Promises kept and missed on the incident, per audience",
    returns="CadenceFigures[]",
)
def incident_cadence(incident_id: int) -> Any:
    incident = lifecycle.get_incident(incident_id)
    return [
        {
            "audience": row.audience.slug,
            "made": row.figures.made,
            "kept": row.figures.kept,
            "missed": row.figures.missed,
            "open": row.figures.open,
            "overdue": row.figures.overdue,
            "cancelled": row.figures.cancelled,
            "worst_lateness_seconds": _seconds(row.figures.worst_lateness),
            "median_lateness_seconds": _seconds(row.figures.median_lateness),
            "time_to_first_update_seconds": _seconds(row.time_to_first_update),
        }
        for row in incident_figures(incident, now=utcnow())
    ]
