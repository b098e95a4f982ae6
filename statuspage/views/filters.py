"""Template filters: times in the page's zone, and liaison Markdown made safe."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app

from statuspage.core.rendering import (
    describe_countdown,
    describe_duration,
    format_date,
    format_datetime,
    format_duration,
    format_span,
    format_time,
    machine_datetime,
    markdown_to_html,
)


def init_app(app: Flask) -> None:
    app.add_template_filter(markdown_to_html, "markdown")
    app.add_template_filter(page_datetime, "page_datetime")
    app.add_template_filter(page_time, "page_time")
    app.add_template_filter(machine_datetime, "machine_datetime")  # for <time datetime="...">
    app.add_template_filter(describe_countdown, "countdown")
    app.add_template_filter(format_date, "long_date")
    app.add_template_filter(format_span, "span")
    app.add_template_filter(format_duration, "duration")  # compact: '1 h 28 min'
    app.add_template_filter(describe_duration, "duration_words")  # '1 hour 28 minutes'


def page_datetime(moment: datetime) -> str:
    """'Mar 4, 14:30 UTC' in the page's configured zone."""
    return format_datetime(moment, current_app.config["TIMEZONE"])


def page_time(moment: datetime) -> str:
    """'14:30 UTC' in the page's configured zone."""
    return format_time(moment, current_app.config["TIMEZONE"])
