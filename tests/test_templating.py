"""Built-in message templates render for every audience and status over plain data."""

import os
import sys
import time

import pytest
import sqlalchemy as sa

from statuspage.core.errors import ValidationError
from statuspage.core.site import Site
from statuspage.extensions import db
from statuspage.models import IncidentStatus, MessageTemplate
from statuspage.models.enums import MAINTENANCE_STATUSES
from statuspage.services.defaults import CUSTOMER_TEXT
from statuspage.services.templating import (
    check_template,
    message_context,
    render_message,
    rendering,
    sandbox,
)
from tests.factories import NOW, audience, make_component, make_incident

pytestmark = pytest.mark.usefixtures("ctx")
SITE = Site("Acme Status", "http://status.test", "Etc/UTC")


def test_every_built_in_template_renders_against_an_incident():
    incident = make_incident(affected={make_component("API"): "partial_outage"})
    templates = db.session.scalars(sa.select(MessageTemplate)).all()
    assert templates
    for template in templates:
        context = message_context(
            incident,
            audience=template.audience,
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
        audience=customers.audience,
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
    context = message_context(incident, audience=audience("staff"), site=SITE)

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


SANDBOX_ATTACKS = {
    "python attribute": ("{{ ''.__class__ }}", "unsafe"),
    "python attribute chain": ("{{ incident.title.__class__.__mro__ }}", "unsafe"),
    "app config": ("{{ config }}", "'config' is undefined"),
    "include a file": ("{% include '/etc/passwd' %}", "include %} is not allowed"),
    "import a template": ("{% import 'x.html' as x %}", "import %} is not allowed"),
    "extend a template": ("{% extends 'base.html' %}", "extends %} is not allowed"),
    "billion-step loop": ("{% for i in range(10**9) %}x{% endfor %}", "too large"),
    "nested loops": (
        "{% set xs = range(100000) %}{% for a in xs %}{% for b in xs %}{% endfor %}{% endfor %}",
        "steps",
    ),
    "ten megabytes at once": ("{{ 'x' * 10_000_000 }}", "too long"),
    "ten megabytes in a loop": (
        "{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}",
        "longer",
    ),
    "wide format": ("{{ '{:>10000000}'.format(1) }}", "unsafe"),
    "wide padding": ("{{ 'x'.center(10000000) }}", "too large"),
    "huge join": ("{{ range(100000)|join('x' * 40000) }}", "too long"),
    "printf padding": ("{{ '%010000000d' % 1 }}", "not available"),
    "mutating the data": ("{{ components.pop() }}", "unsafe"),
    "endless recursion": ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "too deep"),
}


@pytest.mark.parametrize("source,reason", SANDBOX_ATTACKS.values(), ids=SANDBOX_ATTACKS.keys())
def test_the_sandbox_refuses_or_stops_attacks_within_a_second(source, reason):
    started = time.monotonic()
    with pytest.raises(ValidationError) as refusal:
        check_template(
            "Title", "Fine first line\n" + source, status=IncidentStatus.IDENTIFIED, site=SITE
        )
    assert time.monotonic() - started < 1
    assert reason in str(refusal.value)
    assert "line 2" in str(refusal.value) or "longer than" in str(refusal.value)


def test_a_refusal_names_the_part_and_the_line():
    with pytest.raises(ValidationError, match=r"Template body, line 3: .*'dict object' has no"):
        check_template(
            "Title", "one\ntwo\n{{ incident.nope }}", status=IncidentStatus.IDENTIFIED, site=SITE
        )


def test_a_broken_title_is_reported_as_the_title():
    with pytest.raises(ValidationError, match="Template title, line 1") as refusal:
        check_template("{{ oops", "Body", status=IncidentStatus.IDENTIFIED, site=SITE)
    assert refusal.value.field == "title"


def test_ordinary_template_features_still_work():
    message = check_template(
        "{{ incident.title|upper }}",
        "{% for c in components %}{{ c.name }}{% if not loop.last %}, {% endif %}{% endfor %}"
        " · {{ components|map(attribute='name')|join(' / ') }} · {{ facts|truncate(12) }}",
        status=IncidentStatus.IDENTIFIED,
        site=SITE,
    )
    assert message.title == "ELEVATED ERROR RATES ON THE API"
    assert message.body.startswith("API, Dashboard · API / Dashboard · A")


def test_a_template_that_renders_empty_is_refused():
    with pytest.raises(ValidationError, match="body renders empty"):
        check_template(
            "Title", "{% if false %}x{% endif %}", status=IncidentStatus.RESOLVED, site=SITE
        )


def test_the_sandbox_leaves_no_tracer_behind():
    before = sys.gettrace()
    with pytest.raises(sandbox.Refusal, match="steps"):
        sandbox.render(
            "{% for a in range(100000) %}{% for b in range(99) %}{% endfor %}{% endfor %}", {}
        )
    assert sys.gettrace() is before


def test_templates_render_in_a_process_of_their_own(monkeypatch):
    def in_this_process(*args, **kwargs):
        raise AssertionError("rendered in the caller's process")

    monkeypatch.setattr(sandbox, "render", in_this_process)
    message = check_template(
        "{{ incident.title }}", "Body", status=IncidentStatus.IDENTIFIED, site=SITE
    )
    assert message.title == "Elevated error rates on the API"
    assert rendering.SANDBOX.pids() and os.getpid() not in rendering.SANDBOX.pids()
