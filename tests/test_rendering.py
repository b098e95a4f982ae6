"""Safe Markdown, zoned times and durations."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from statuspage.core.markdown import markdown_to_html
from statuspage.core.times import describe_duration, format_time, machine_datetime
from tests.helpers import dangerous_markup

XSS = [
    "<b onmouseover=alert(1)>hover</b>",
    "[link](JaVaScRiPt:alert(1))",
    "![img](javascript:alert(1))",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil.example></iframe>",
    "<svg onload=alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
]


@pytest.mark.parametrize("payload", XSS)
def test_markdown_output_has_no_script_or_handlers(payload):
    assert dangerous_markup(markdown_to_html(payload)) == []


def test_markdown_keeps_ordinary_formatting_and_safe_links():
    html = markdown_to_html("**Fixed**: see [notes](https://example.com)\n\n- one\n- two")
    assert "<strong>Fixed</strong>" in html and "<li>one</li>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("Etc/UTC", "14:30 UTC"), ("America/Chicago", "08:30 CST"), ("Europe/Berlin", "15:30 CET")],
)
def test_times_are_shown_in_the_page_zone_with_its_abbreviation(zone, expected):
    assert format_time(datetime(2026, 1, 15, 14, 30, tzinfo=UTC), zone) == expected


def test_the_audit_catches_what_it_should():
    assert dangerous_markup('<a href=" javascript:x">a</a><img onerror=x><script></script>') == [
        "<a href= javascript:x>",
        "<img onerror>",
        "<script>",
    ]


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(hours=1, minutes=5, seconds=59), "1 hour 5 minutes"),
        (timedelta(seconds=45), "45 seconds"),
        (timedelta(days=2, hours=1), "2 days 1 hour"),
        (timedelta(0), "0 seconds"),
    ],
)
def test_durations_read_to_the_minute_or_to_the_second_under_one(length, expected):
    assert describe_duration(length) == expected


def test_machine_readable_times_are_whole_seconds_with_the_offset():
    # HTML's <time datetime> allows at most three digits of a second; stored times carry six.
    stored = datetime(2026, 3, 4, 14, 30, 7, 654321, tzinfo=UTC)
    assert machine_datetime(stored) == "2026-03-04T14:30:07+00:00"
    zoned = stored.astimezone(timezone(timedelta(hours=-6)))
    assert machine_datetime(zoned) == "2026-03-04T08:30:07-06:00"


def test_a_machine_readable_time_needs_its_zone():
    with pytest.raises(ValueError, match="no time zone"):
        machine_datetime(datetime(2026, 3, 4, 14, 30))
