"""Built-in message templates render for every audience and status over plain data."""

import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import IncidentStatus, MessageTemplate
from statuspage.models.enums import MAINTENANCE_STATUSES
from statuspage.services.defaults import CUSTOMER_TEXT
from statuspage.services.templating import message_context, render_message
from statuspage.site import Site
from tests.factories import NOW, make_component, make_incident

pytestmark = pytest.mark.usefixtures("ctx")
SITE = Site("Acme Status", "http://status.test", "Etc/UTC")


def test_every_built_in_template_renders_against_an_incident():
    incident = make_incident(affected={make_component("API"): "partial_outage"})
    templates = db.session.scalars(sa.select(MessageTemplate)).all()
    assert templates
    for template in templates:
        context = message_context(
            incident,
            site=SITE,
            status=template.status,
            facts="Errors are falling.",
            next_update_at=NOW,
        )
        message = render_message(template, context)
        assert message.title and message.body, (template.audience.slug, template.status)


def test_the_customer_template_reads_like_statuspage():
    incident = make_incident(title="Slow API")
    customers = db.session.scalar(
        sa.select(MessageTemplate)
        .join(MessageTemplate.audience)
        .where(
            MessageTemplate.status == IncidentStatus.IDENTIFIED,
            MessageTemplate.audience.has(slug="customers"),
        )
    )
    context = message_context(
        incident,
        site=SITE,
        status=IncidentStatus.IDENTIFIED,
        facts="A bad deploy is being rolled back.",
    )
    message = render_message(customers, context)
    assert message.title == "Slow API"
    assert message.body == (
        CUSTOMER_TEXT[IncidentStatus.IDENTIFIED] + "\n\nA bad deploy is being rolled back."
    )


def test_the_context_is_plain_data_only():
    incident = make_incident()
    context = message_context(incident, site=SITE)

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return isinstance(value, str | int | float | bool) or value is None

    assert plain(context)


def test_maintenance_statuses_have_templates_too():
    make_incident()
    for status in MAINTENANCE_STATUSES:
        assert db.session.scalar(sa.select(MessageTemplate).where(MessageTemplate.status == status))
