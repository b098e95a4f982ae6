"""The public pages: status page, incident permalink and history, as a reader gets them."""

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from statuspage.extensions import db
from statuspage.models import IncidentStatus, Severity
from tests.factories import make_component, make_incident, make_published
from tests.helpers import dangerous_markup, page_zone


@pytest.fixture
def world(public_world):
    return public_world


def text_of(response):
    return response.get_data(as_text=True)


def test_the_status_page_leads_with_the_rollup_and_the_open_incident(client, world):
    html = text_of(client.get("/"))
    assert "Major Service Outage" in html  # API is in a major outage
    assert html.index("Major Service Outage") < html.index("Elevated API errors")
    assert html.index("Elevated API errors") < html.index('id="components"')


def test_open_incidents_show_every_public_update_newest_first_and_the_next_update(client, world):
    html = text_of(client.get("/"))
    card = html[html.index("Elevated API errors") : html.index('id="maintenance"')]
    assert card.index("Identified") < card.index("We are investigating API errors.")
    assert "Next update by" in card


def test_the_page_lists_active_and_upcoming_maintenance(client, world):
    html = text_of(client.get("/"))
    section = html[html.index('id="maintenance"') : html.index('id="components"')]
    for label in ("In progress", "Verifying", "Scheduled"):
        assert f"Database upgrade ({label})" in section
    assert "Database upgrade (Completed)" not in section


def test_components_are_listed_by_group_with_status_in_words_and_90_day_bars(client, world):
    html = text_of(client.get("/"))
    section = html[html.index('id="components"') : html.index('id="past-incidents"')]
    assert section.index("Status widget") < section.index("Platform") < section.index("API")
    assert "Major outage" in section and "Operational" in section
    assert section.count('<summary class="bar ') == 90 * 3
    assert re.search(r'aria-label="API, last 90 days: [\d.]+ % uptime', section)


def test_resolved_incidents_of_the_last_seven_days_close_the_page(client, world):
    html = text_of(client.get("/"))
    past = html[html.index('id="past-incidents"') :]
    assert "Dashboard slow" in past and "lasted 1 h" in past
    assert past.count("No incidents reported.") == 6


def test_times_carry_the_zone_and_a_machine_readable_datetime(client, world):
    html = text_of(client.get("/"))
    times = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', html)
    assert times
    for machine, shown in times:
        # Whole seconds: HTML allows at most three digits of a second, stored times have six.
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", machine)
        local = datetime.fromisoformat(machine).astimezone(ZoneInfo(page_zone()))
        assert shown.endswith(f" {local.tzname()}")


def test_times_are_shown_in_the_configured_zone(app, world):
    app.config["TIMEZONE"] = "America/Chicago"
    html = text_of(app.test_client().get("/"))
    assert re.search(r"<time datetime=\"[^\"]+\">[^<]+ C[SD]T</time>", html)


class _Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings, self.landmarks, self.scripts = [], set(), []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag in {"header", "nav", "main", "footer"}:
            self.landmarks.add(tag)
        if tag == "script":
            self.scripts.append(attributes)


@pytest.mark.parametrize("path", ["/", "/history", "incident"])
def test_pages_have_landmarks_headings_in_order_and_no_inline_script(client, world, path):
    if path == "incident":
        path = f"/incidents/{world.open_incident}"
    outline = _Outline()
    outline.feed(text_of(client.get(path)))
    assert outline.landmarks == {"header", "nav", "main", "footer"}
    assert outline.headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(outline.headings, outline.headings[1:], strict=False))
    assert outline.scripts and all(script.get("src") for script in outline.scripts)


def test_user_text_is_rendered_inert(app, client):
    with app.app_context():
        incident = make_incident(severity=Severity.SEV3)
        make_published(incident, body="<script>alert(1)</script> [x](javascript:alert(1))")
        db.session.commit()
        incident_id = incident.id
    html = text_of(client.get(f"/incidents/{incident_id}"))
    assert dangerous_markup(html, allowed_elements={"script"}) == []
    assert "<script>alert" not in html


def test_the_incident_page_has_the_whole_public_timeline_and_affected_components(client, world):
    response = client.get(f"/incidents/{world.resolved_incident}")
    html = text_of(response)
    assert response.status_code == 200
    assert html.index("Resolved") < html.index("Dashboard pages load slowly.")
    assert "Affected for 1 h" in html and "Duration" in html


@pytest.mark.parametrize("which", ["hidden", "missing"])
def test_an_incident_customers_were_not_told_about_is_not_found(client, world, which):
    incident_id = world.hidden_incident if which == "hidden" else 999_999
    response = client.get(f"/incidents/{incident_id}")
    assert response.status_code == 404


def test_the_history_shows_an_incident_with_impact_and_duration(client, world):
    html = text_of(client.get("/history"))
    assert "Dashboard slow" in html and "Minor impact" in html and "lasted 1 h" in html


def test_the_first_history_page_names_this_month_and_the_two_before_even_when_empty(client, now):
    html = text_of(client.get("/history"))
    local = now.astimezone(ZoneInfo(page_zone()))
    months = [
        datetime(local.year - (local.month - n < 1), (local.month - n - 1) % 12 + 1, 1)
        for n in range(3)
    ]
    headings = re.findall(r'<h2 id="month-\d">([^<]+)</h2>', html)
    assert headings == [month.strftime("%B %Y") for month in months]
    assert html.count("No incidents reported this month.") == 3


@pytest.mark.parametrize(("query", "status"), [("page=abc", 422), ("page=999", 404)])
def test_bad_history_pages_are_refused_clearly(client, world, query, status):
    assert client.get(f"/history?{query}").status_code == status


def test_older_months_are_reached_through_the_pager(app, client, now):
    with app.app_context():
        four_months_ago = now - timedelta(days=4 * 31)
        incident = make_incident(title="Long ago", now=four_months_ago)
        make_published(incident, now=incident.started_at)
        db.session.commit()
    html = text_of(client.get("/history"))
    older = re.search(r'<a rel="next" href="([^"]+)"', html).group(1)
    assert older == "/history?page=2"
    assert "Long ago" in text_of(client.get(older))


def test_a_component_shown_only_when_degraded_is_hidden_while_operational(app, client):
    with app.app_context():
        component = make_component("Quiet thing")
        component.only_show_if_degraded = True
        db.session.commit()
    assert "Quiet thing" not in text_of(client.get("/"))


@pytest.mark.parametrize("path", ["/", "/history", "/history.atom", "/api/v2/summary.json"])
def test_public_responses_carry_the_security_headers(client, world, path):
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]


def test_an_empty_page_says_all_is_well(client):
    html = text_of(client.get("/"))
    assert "All Systems Operational" in html and "No components are listed yet." in html


def test_maintenance_pages_show_the_window(client, world):
    window = world.maintenance[IncidentStatus.COMPLETED]
    html = text_of(client.get(f"/incidents/{window}"))
    assert "Window" in html and "Completed" in html
