"""Invariant 1 in everything sent to the public, not only on its pages (issue 12).

One incident touches a public and an internal-only component and has a roster; an incident only
staff are told of runs beside it; internal audiences have their own texts; a maintenance window
over both components starts by itself. The customers' templates and late notice print every
documented variable. Every canary below must stay out of every public page, feed, JSON document,
calendar, export, webhook body and email to a public subscriber.
"""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.clock import pinned
from statuspage.extensions import db
from statuspage.models import Audience, MessageTemplate, Role, SubscriberKind, Visibility
from statuspage.publicsite.export import export_site
from statuspage.publicsite.render import every_surface
from tests.console_flows import Console
from tests.factories import make_component, make_group, make_subscriber, make_user
from tests.mail import html_part, text_part
from tests.outbox import deliver

INTERNAL_COMPONENT = "Ledger canary-comp-1188"
INTERNAL_DESCRIPTION = "canary-desc-2231 reconciles the books"
INTERNAL_GROUP = "Back office canary-group-3342"
INTERNAL_INCIDENT = "canary-incident-4471 payroll export stuck"
STAFF_TEXT = "canary-staff-5562 the primary lost quorum"
INTERNAL_TEMPLATE = "canary-template-6673"
ROSTER_NAME = "Canary Roster-7784"
CANARIES = (
    INTERNAL_COMPONENT,
    INTERNAL_DESCRIPTION,
    INTERNAL_GROUP,
    INTERNAL_INCIDENT,
    STAFF_TEXT,
    INTERNAL_TEMPLATE,
    ROSTER_NAME,
    "canary-",
)
EVERY_VARIABLE = (
    "{{ page.name }} {{ incident.title }} {{ incident.url }} {{ incident.status_label }} "
    "{{ incident.severity }} {{ incident.impact }} {{ incident.started_at }} "
    "{{ incident.scheduled_for }} {{ incident.scheduled_until }} {{ facts }} {{ next_update_at }} "
    "{% for c in components %}{{ c.name }} {{ c.status_label }}; {% endfor %}"
)


def leaks(content: bytes | str) -> list[str]:
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    return [canary for canary in CANARIES if canary.lower() in text.lower()]


@pytest.fixture
def world(app, webhook_receiver, mail_sink):
    app.config["SMTP_URL"] = mail_sink.url
    with app.app_context():
        make_component("API", group=make_group("Platform"))
        make_component("Dashboard")
        ledger = make_component(INTERNAL_COMPONENT, visibility=Visibility.INTERNAL)
        ledger.description = INTERNAL_DESCRIPTION
        make_component("Payroll", group=make_group(INTERNAL_GROUP, visibility=Visibility.INTERNAL))
        people = {
            "commander": make_user(Role.COMMANDER, name=ROSTER_NAME).id,
            "reviewer": make_user(Role.COMMANDER, name="Ben").id,
        }
        make_subscriber(webhook_receiver.url, kind=SubscriberKind.WEBHOOK)
        make_subscriber("reader@example.com")
        customers = db.session.scalar(sa.select(Audience).where(Audience.slug == "customers"))
        customers.late_notice = "Late: " + EVERY_VARIABLE
        for template in db.session.scalars(sa.select(MessageTemplate)):
            if template.audience_id == customers.id:
                template.body = EVERY_VARIABLE
            else:
                template.body = f"{INTERNAL_TEMPLATE} {EVERY_VARIABLE}"
        db.session.commit()
    return people


def test_nothing_internal_reaches_any_public_surface_message_or_template(
    app, client, world, webhook_receiver, mail_sink, now, tmp_path
):
    console = Console(app, client).as_(world["commander"])
    hidden = console.declare(
        INTERNAL_INCIDENT, severity="SEV2", components={"Payroll": "major_outage"}
    )
    console.compose(hidden, status="investigating", messages={"staff": STAFF_TEXT})
    incident = console.declare(
        "Checkout errors",
        severity="SEV3",
        components={"API": "partial_outage", INTERNAL_COMPONENT: "major_outage"},
    )
    # The customers' text comes from their template (every variable); staff get their own.
    console.compose(
        incident, status="investigating", messages={"customers": None, "staff": STAFF_TEXT}
    )
    console.compose(
        incident,
        status="identified",
        messages={"customers": None, "staff": STAFF_TEXT},
        components={INTERNAL_COMPONENT: "partial_outage", "Dashboard": "degraded_performance"},
    )
    starts = now + timedelta(hours=1)
    console.schedule_maintenance(
        "Database upgrade",
        starts=starts,
        lasts=timedelta(hours=1),
        components=["API", INTERNAL_COMPONENT],
        messages={"customers": "We upgrade the database.", "staff": STAFF_TEXT},
    )
    console.run_job("maintenance-windows", starts)
    late = starts + timedelta(hours=3)  # the customers' promise has passed: the late notice shows
    console.run_job("cadence-tick", late)
    deliver(app, now=late)

    found = {}
    with pinned(late):
        with app.app_context():
            paths = [surface.path for surface in every_surface(now=late)]
            export_site(tmp_path, now=late)
        for path in paths:
            found[path] = leaks(client.get(path).data)
    for file in tmp_path.rglob("*"):
        if file.is_file():
            content = file.read_bytes()
            found[str(file)] = leaks(gzip.decompress(content) if file.suffix == ".gz" else content)
    bodies = [json.loads(r.body) for r in webhook_receiver.requests]
    assert any("incident" in b for b in bodies) and any("component_update" in b for b in bodies)
    for number, body in enumerate(bodies):
        found[f"webhook {number}"] = leaks(json.dumps(body))
    emails = mail_sink.to("reader@example.com")
    assert len(emails) >= 3
    for number, message in enumerate(emails):
        # The raw message (headers), and each part as a reader sees it (bodies are encoded).
        shown = [message.as_bytes().decode("ascii"), text_part(message), html_part(message)]
        found[f"email {number}"] = leaks("\n".join(shown))
    assert {where: hits for where, hits in found.items() if hits} == {}
