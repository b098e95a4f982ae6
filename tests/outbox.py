"""Running the outbox worker from a test, as the scheduler does, at a time of the test's choosing."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from statuspage.core.clock import utcnow
from statuspage.jobs import send_deliveries
from statuspage.services.outbox.worker import Report


def deliver(app: Flask, *, now: datetime | None = None) -> Report:
    """One run of the send-deliveries job in a fresh app context."""
    with app.app_context():
        return send_deliveries(now or utcnow(), app.config)
