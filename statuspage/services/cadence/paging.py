"""PagerDuty for escalations: each escalation raised on a missed promise also triggers an Events
API v2 event to the routing key of the cadence policy it falls under (the audience's policy at the
incident's severity), queued in the outbox like any message and posted to
STATUSPAGE_PAGERDUTY_EVENTS_URL. The event is built and stored when the alert is raised, so a
retry posts the same bytes; its `dedup_key` names the promise, so PagerDuty folds repeats into
one incident of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from statuspage.core.errors import ValidationError
from statuspage.core.site import Site
from statuspage.core.times import api_timestamp
from statuspage.extensions import db
from statuspage.models import CadenceAlertKind, CadencePolicy
from statuspage.services.cadence.notices import Notice, alert_message
from statuspage.services.outbox.enqueue import enqueue_event

# PagerDuty's integration keys are 32 characters; its limits: summary 1024, dedup_key 255.
ROUTING_KEY = re.compile(r"[A-Za-z0-9_-]{20,64}")
SUMMARY_LENGTH = 1024


def clean_routing_key(value: str | None, *, label: str) -> str | None:
    """The routing key as typed (surrounding spaces dropped), None if blank, or ValidationError."""
    key = (value or "").strip()
    if not key:
        return None
    if not ROUTING_KEY.fullmatch(key):
        raise ValidationError(
            f"{label}: a PagerDuty routing key is 20 to 64 letters, digits, - or _ "
            "(the integration key of an Events API v2 integration).",
            field="pagerduty_routing_key",
        )
    return key


def page_escalations(notices: Sequence[Notice], *, site: Site, now: datetime) -> None:
    """Queue a trigger event for each escalation whose policy has a routing key."""
    escalations = [n.alert for n in notices if n.alert.kind is CadenceAlertKind.ESCALATION]
    if not escalations:
        return
    keys = {
        (policy.audience_id, policy.severity): policy.pagerduty_routing_key
        for policy in db.session.scalars(
            sa.select(CadencePolicy).where(CadencePolicy.pagerduty_routing_key.is_not(None))
        )
    }
    for alert in escalations:
        audience = alert.audience
        key = keys.get((audience.id, alert.incident.severity)) if audience else None
        if audience is None or key is None:
            continue
        message = alert_message(alert, site=site, now=now)
        event: dict[str, Any] = {
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": f"statuspage:promise:{alert.promise_id}",
            "payload": {
                "summary": message.subject[:SUMMARY_LENGTH],
                "source": site.url,
                "severity": "critical",
                "timestamp": api_timestamp(alert.about_at, "UTC"),
                "component": alert.incident.title,
                "group": audience.name,
                "class": "missed update",
                "custom_details": {"incident_id": alert.incident.id, "text": message.text},
            },
            "links": [{"href": message.link, "text": "Write the update"}],
            "client": site.name,
            "client_url": site.url,
        }
        enqueue_event(event, dedupe_key=f"pagerduty:{alert.id}", now=now)
