"""Template filters and tests: times in the page's zone (core.times), liaison Markdown made safe."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app

from statuspage.core.clock import utcnow
from statuspage.core.markdown import markdown_to_html
from statuspage.core.times import (
    describe_countdown,
    describe_duration,
    format_date,
    format_datetime,
    format_duration,
    format_month,
    format_span,
    format_time,
    is_overdue,
    local_input,
    machine_datetime,
    zone_name,
)
from statuspage.models import ComponentStatus
from statuspage.services.public.page import rollup_words


def init_app(app: Flask) -> None:
    app.add_template_filter(markdown_to_html, "markdown")
    app.add_template_filter(page_datetime, "page_datetime")
    app.add_template_filter(page_time, "page_time")
    app.add_template_filter(page_input, "local_input")  # a datetime-local input's value
    app.add_template_filter(machine_datetime, "machine_datetime")  # for <time datetime="...">
    app.add_template_filter(describe_countdown, "countdown")
    app.add_template_filter(format_date, "long_date")
    app.add_template_filter(format_month, "month_year")  # 'March 2026'
    app.add_template_filter(zone_name, "zone_name")  # 'UTC', 'New York time'
    app.add_template_filter(component_status_label, "component_status_label")
    app.add_template_filter(rollup_words, "rollup_words")  # the page's rollup, in its language

    app.add_template_filter(format_span, "span")
    app.add_template_filter(format_duration, "duration")  # compact: '1 h 28 min'
    app.add_template_filter(describe_duration, "duration_words")  # '1 hour 28 minutes'
    app.add_template_test(is_overdue, "overdue")  # {% if promise.due_at is overdue(now) %}


def _zone() -> str:
    return current_app.config["TIMEZONE"]


def page_datetime(moment: datetime) -> str:
    """'Mar 4, 14:30 UTC' in the page's configured zone (the year when it is not this year's)."""
    return format_datetime(moment, _zone(), now=utcnow())


def page_time(moment: datetime) -> str:
    """'14:30 UTC' in the page's configured zone."""
    return format_time(moment, _zone())


def page_input(moment: datetime | None) -> str:
    """The value of a datetime-local input showing the moment in the page's configured zone."""
    return local_input(moment, _zone())


def component_status_label(value: str) -> str:
    """'Partial outage' for 'partial_outage': a component status as the public reads it."""
    return ComponentStatus(value).label
