"""Alert receivers: monitoring posts here, with no session and no CSRF token (the URL's secret,
and for the generic kind a signature, say who it is). Each integration has its own rate limit,
bodies are capped, and every refusal is a JSON problem document saying why, with nothing changed.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from statuspage.core.clock import utcnow
from statuspage.core.site import current_site
from statuspage.extensions import csrf, db, limiter
from statuspage.services.alerts import handling, integrations, payloads
from statuspage.views.errors import problem

bp = Blueprint("hooks", __name__)
csrf.exempt(bp)


def _rate() -> str:
    return str(current_app.config["ALERT_RATE_LIMIT"])


def _per_integration() -> str:
    return f"alerts:{(request.view_args or {}).get('integration_id')}"


@bp.post("/hooks/alerts/<int:integration_id>/<secret>")
@limiter.limit(_rate, key_func=_per_integration)
def receive_alerts(integration_id: int, secret: str) -> object:
    limit = int(current_app.config["ALERT_BODY_LIMIT"])
    body = request.stream.read(limit + 1)
    if len(body) > limit or (request.content_length or 0) > limit:
        return problem(413, "The request is too large", f"An alert body is at most {limit} bytes.")
    key = current_app.config["SECRET_KEY"]
    integration = integrations.receiving(integration_id, secret, key=key)
    now = utcnow()
    alerts = payloads.read(
        integration.kind,
        body,
        request.headers,
        secret=integrations.secret_of(integration, key=key),
        now=now.timestamp(),
    )
    outcome = handling.receive(integration, alerts, site=current_site(), now=now)
    db.session.commit()
    return {"received": len(alerts), "changed": outcome.changed, "repeated": outcome.repeated}
