"""Acceptance 3: script in any text people type shows up inert on every console page, the internal
page, the public page and every internal feed."""

from __future__ import annotations

import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest

from statuspage.core.site import Site
from statuspage.extensions import db
from statuspage.models import ComponentStatus, IncidentStatus, Role, RosterRole, Severity
from statuspage.services import accounts, configuration
from statuspage.services.cadence import alerts as cadence_alerts
from statuspage.services.incidents import compose, publishing
from statuspage.services.incidents import edits as response
from statuspage.services.incidents import lifecycle as incidents
from tests.console import act_as, csrf_token
from tests.factories import NOW, audience, make_component, make_group, make_incident, make_user
from tests.helpers import dangerous_markup

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '"><iframe src="javascript:alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    "'><body onload=alert(1)>",
    "javascript:alert(1)//<b onmouseover=alert(1)>",
]
EVIL = " ".join(PAYLOADS)
# The only script elements a page may carry: our own files, loaded by src (the status page's
# poller told which of our addresses to poll).
OUR_SCRIPTS = re.compile(
    r'<script src="/static/js/(console|localtime|copylink|refresh)\.js(\?v=\w+)?"'
    r'( data-poll="/api/v2/status\.json")? defer></script>'
)
SITE = Site("Acme Status", "http://status.test", "Etc/UTC")


def evil(n: int, limit: int = 120) -> str:
    """Payload n, fitted to a field of `limit` characters (names must differ from each other)."""
    return f"{PAYLOADS[n % len(PAYLOADS)]} {n}"[:limit]


@pytest.fixture
def poisoned(app):
    """Every text field people type into, filled with script."""
    with app.app_context():
        admin = make_user(Role.ADMIN, name=evil(0))
        group = make_group(evil(1))
        component = make_component(evil(2), group=group)
        configuration.save_component(
            component,
            name=evil(3),
            description=EVIL,
            group=group,
            visibility=component.visibility,
            by=admin,
            now=NOW,
        )
        configuration.save_audience(
            None,
            slug="partners",
            name=evil(4, 80),
            description=EVIL,
            liaison_role=RosterRole.INTERNAL_LIAISON,
            position=9,
            by=admin,
            now=NOW,
        )
        template = compose.template_for(audience("staff"), IncidentStatus.IDENTIFIED)
        configuration.save_template(
            template,
            title="{{ incident.title }} " + evil(5),
            body="{{ facts }} " + EVIL,
            site=SITE,
            by=admin,
            now=NOW,
        )
        incident = make_incident(
            severity=Severity.SEV3,
            by=admin,
            title=evil(6, 200),
            affected={component: ComponentStatus.PARTIAL_OUTAGE},
            roster=[(RosterRole.SCRIBE, admin)],
        )
        response.edit_details(
            incident,
            version=incident.version,
            loaded_at=NOW,
            title=evil(7, 200),
            public_title=evil(1, 200),
            severity=Severity.SEV3,
            by=admin,
            now=NOW,
        )
        drafts = compose.prepare_drafts(
            incident,
            status=IncidentStatus.IDENTIFIED,
            facts=compose.Facts(EVIL, EVIL),
            component_changes={},
            user=admin,
            site=SITE,
            now=NOW,
        )
        outcome = compose.submit(
            incident,
            version=incident.version,
            loaded_at=NOW,
            status=IncidentStatus.IDENTIFIED,
            messages=[
                compose.Message(d.audience, d.title, d.body, None, d.template_id)
                for d in drafts
                if d.audience.slug in ("customers", "staff")
            ],
            component_changes={},
            action=compose.Action.PUBLISH,
            by=admin,
            now=NOW,
        )
        draft = publishing.add_draft(
            incident, audience("executives"), title=evil(3, 300), body=EVIL, by=admin, now=NOW
        )
        response.add_note(incident, EVIL, by=admin, now=NOW)
        incidents.schedule_maintenance(
            title=evil(4, 200),
            scheduled_for=NOW + timedelta(days=1),
            scheduled_until=NOW + timedelta(days=1, hours=2),
            by=admin,
            now=NOW,
            components=[component],
        )
        configuration.save_cadence(
            audience("staff"), policies={}, late_notice=EVIL, site=SITE, by=admin, now=NOW
        )
        # Nobody holds a duty the alerts go to, so the admin sees them all in the banner.
        cadence_alerts.send_cadence_alerts(now=NOW + timedelta(hours=3), site=SITE)
        token = accounts.rotate_feed_token(admin, now=NOW)
        db.session.commit()
        assert outcome.published
        return {
            "admin": admin.id, "incident": incident.id, "draft": draft.id,
            "template": template.id, "component": component.id, "group": group.id,
            "audience": audience("partners").id, "token": token, "staff": audience("staff").id,
        }  # fmt: skip


def pages(ids):
    i = ids
    return [
        "/", "/internal", "/admin/", "/admin/incidents", "/admin/incidents/new",
        f"/admin/incidents/{i['incident']}", f"/admin/incidents/{i['incident']}/compose",
        f"/admin/incidents/{i['incident']}/timeline", f"/admin/updates/{i['draft']}",
        "/admin/maintenance", "/admin/maintenance/new", "/admin/templates",
        f"/admin/templates/{i['template']}", "/admin/audiences", f"/admin/audiences/{i['audience']}",
        "/admin/components", f"/admin/components/{i['component']}", f"/admin/groups/{i['group']}",
        "/admin/users", f"/admin/users/{i['admin']}", "/admin/audit", "/admin/profile",
        "/admin/cadence", f"/admin/cadence/{i['staff']}", f"/admin/reports/cadence?start={(NOW - timedelta(days=30)).date()}",
    ]  # fmt: skip


def assert_inert(html: str, where: str) -> None:
    assert dangerous_markup(html, allowed_elements={"form", "script"}) == [], where
    assert html.count("<script") == len(OUR_SCRIPTS.findall(html)), where
    for payload in PAYLOADS:
        if "<" in payload:
            assert payload not in html, (where, payload)


def test_every_page_shows_the_payloads_inert(client, poisoned):
    act_as(client, poisoned["admin"])
    for path in pages(poisoned):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert_inert(answer.get_data(as_text=True), path)


def test_the_payloads_are_shown_as_text_not_dropped(client, poisoned):
    act_as(client, poisoned["admin"])
    html = client.get(f"/admin/incidents/{poisoned['incident']}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    banner = html[html.index('<section class="alerts"') :]
    assert ">javascript:alert(1)//&lt;b onmouseover=alert(1)&gt; 7</a>" in banner  # its title


def test_the_compose_preview_and_live_preview_are_inert(client, poisoned):
    act_as(client, poisoned["admin"])
    token = csrf_token(client)
    page = client.post(
        f"/admin/incidents/{poisoned['incident']}/compose",
        data={"csrf_token": token, "facts": EVIL, "action": "draft", "status": "monitoring"},
    )
    assert page.status_code == 200
    assert_inert(page.get_data(as_text=True), "compose")
    live = client.post("/admin/preview", data={"csrf_token": token, "text": EVIL}).get_json()
    assert_inert(live["html"], "live preview")


@pytest.mark.parametrize(
    "feed", ["updates.atom", "updates.rss", "incidents/{incident}.atom", "incidents/{incident}.rss"]
)
def test_every_internal_feed_carries_the_payloads_inert(client, poisoned, feed):
    answer = client.get(f"/internal/feeds/{poisoned['token']}/" + feed.format(**poisoned))
    assert answer.status_code == 200
    document = ElementTree.fromstring(answer.data)
    # HTML travels escaped in Atom <content type="html"> and RSS <description>; titles are text.
    html = [
        element.text or ""
        for element in document.iter()
        if element.tag.rsplit("}", 1)[-1] in {"content", "description", "summary"}
    ]
    assert any("alert(1)" in text for text in html)
    for text in html:
        assert_inert(text, feed)
    for title in document.iter("{http://www.w3.org/2005/Atom}title"):
        assert title.get("type", "text") == "text"
