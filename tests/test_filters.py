"""Template filters and the time macro render in the page's zone."""

from datetime import UTC, datetime

from flask import render_template_string

MOMENT = datetime(2026, 1, 15, 14, 30, tzinfo=UTC)


def test_the_time_macro_shows_the_page_zone_and_machine_time(app):
    app.config["TIMEZONE"] = "America/Chicago"
    with app.test_request_context():
        html = render_template_string(
            '{% from "_macros.html" import time %}{{ time(moment, "time") }}', moment=MOMENT
        )
    assert html == '<time datetime="2026-01-15T14:30:00+00:00">08:30 CST</time>'


def test_the_markdown_filter_makes_liaison_text_safe(app):
    with app.test_request_context():
        html = render_template_string("{{ text | markdown }}", text="**ok** <script>x</script>")
    assert "<strong>ok</strong>" in html and "<script>" not in html
