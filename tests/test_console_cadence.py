"""Cadence in the console: the banner of updates each person owes, the cadence policy screen with
the late notice, the figures on the incident page, in the postmortem and over a period, and the
promise check when composing and saving drafts."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html import unescape as html_unescape

import pytest
import sqlalchemy as sa

from statuspage.core.clock import utcnow
from statuspage.core.times import format_time
from statuspage.extensions import db
from statuspage.jobs import find_job
from statuspage.models import (
    Audience,
    AuditEntry,
    CadencePolicy,
    Incident,
    IncidentStatus,
    Role,
    RosterRole,
    Severity,
    Update,
    UpdateState,
)
from statuspage.services.incidents import lifecycle as incidents
from statuspage.services.public.version import current_version
from tests.console import act_as, csrf_token
from tests.factories import NOW, audience, make_draft, make_incident, make_published, make_user
from tests.helpers import form_time, page_zone


@pytest.fixture
def team(app):
    with app.app_context():
        people = {
            "ada": make_user(Role.ADMIN, name="Ada"),
            "cora": make_user(Role.COMMANDER, name="Cora"),
            "lia": make_user(Role.LIAISON, name="Lia"),
            "vic": make_user(Role.VIEWER, name="Vic"),
        }
        audience("customers")  # the built-in audiences, templates and policies
        db.session.commit()
        return {name: user.id for name, user in people.items()}


def declare(app, team, *, ago, severity=Severity.SEV3, title="Checkout failing"):
    """An incident declared `ago` before now, Cora commanding and Lia writing to customers."""
    with app.app_context():
        users = {name: db.session.get(incidents.User, user_id) for name, user_id in team.items()}
        incident = make_incident(
            severity=severity,
            now=utcnow() - ago,
            title=title,
            roster=[
                (RosterRole.COMMANDER, users["cora"]),
                (RosterRole.CUSTOMER_LIAISON, users["lia"]),
            ],
        )
        db.session.commit()
        return incident.id


def tick(app, job="cadence-tick"):
    with app.app_context():
        find_job(job).run(utcnow(), app.config)
        db.session.commit()


def page(client, path="/admin/"):
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def banner(html):
    """The banner's lines as text, or [] when there is none."""
    found = re.search(r'<section class="alerts".*?</section>', html, re.DOTALL)
    if not found:
        return []
    items = re.findall(r"<li[^>]*>(.*?)</li>", found.group(0), re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in items]


# The banner.


def test_a_reminder_shows_on_every_console_page_of_the_liaison_with_a_link_to_compose(
    app, client, team
):
    incident_id = declare(app, team, ago=timedelta(minutes=50))  # customers due in 10 min
    tick(app)
    act_as(client, team["lia"])
    due = format_time(NOW + timedelta(minutes=10), page_zone())
    for path in ("/admin/", "/admin/incidents", "/admin/profile", "/admin/reports/cadence"):
        [line] = banner(page(client, path))
        assert line == f"Customers update for Checkout failing due {due} (in 10 min)"
    assert f'href="/admin/incidents/{incident_id}/compose"' in page(client)


def test_a_promise_past_due_reads_overdue_with_the_time_it_was_due(app, client, team):
    declare(app, team, ago=timedelta(minutes=64))  # customers were due 4 minutes ago
    tick(app)
    act_as(client, team["lia"])
    [line] = banner(page(client))
    due = format_time(NOW - timedelta(minutes=4), page_zone())
    assert line == f"Customers update for Checkout failing overdue 4 min (due {due})"


def test_the_commander_sees_the_escalations_and_what_nobody_else_holds(app, client, team):
    declare(app, team, ago=timedelta(minutes=50))  # staff were due 20 minutes ago
    tick(app)
    act_as(client, team["cora"])
    lines = banner(page(client))
    # Nobody is the internal liaison: staff's and support's alerts go to the commander too.
    assert any(
        re.fullmatch(r"Escalated to you: All staff update for Checkout failing overdue .*", line)
        for line in lines
    ), lines
    assert any(line.startswith("Support update for Checkout failing due") for line in lines)
    assert not any(line.startswith("Customers") for line in lines)


def test_someone_who_was_told_nothing_sees_no_banner(app, client, team):
    declare(app, team, ago=timedelta(minutes=50))
    tick(app)
    act_as(client, team["vic"])
    assert banner(page(client)) == []


def test_the_banner_line_goes_once_the_update_is_published(app, client, team):
    incident_id = declare(app, team, ago=timedelta(minutes=64))
    tick(app)
    with app.app_context():
        make_published(db.session.get(Incident, incident_id), "customers", now=utcnow())
        db.session.commit()
    act_as(client, team["lia"])
    assert banner(page(client)) == []


def test_a_stale_nudge_shows_to_the_commander(app, client, team):
    incident_id = declare(app, team, ago=timedelta(hours=3), severity=Severity.SEV4)
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        incidents.change_status(
            incident,
            IncidentStatus.MONITORING,
            by=None,
            now=utcnow() - timedelta(hours=2, minutes=30),
        )
        db.session.commit()
    tick(app, "stale-incidents")
    act_as(client, team["cora"])
    assert (
        "Nudge: Checkout failing has been monitoring with no update for 2 h 30 min: post an "
        "update or resolve it."
    ) in banner(page(client))


def test_the_dashboard_marks_an_escalated_promise(app, client, team):
    declare(app, team, ago=timedelta(minutes=50))
    tick(app)
    act_as(client, team["vic"])
    html = page(client)
    assert re.search(r'All staff <span class="badge badge--escalated">escalated</span>', html)
    assert not re.search(r'Customers <span class="badge badge--escalated">', html)


# The cadence policy screen.


def policy_form(client, audience_id):
    """The edit form's current values, as a browser would submit them."""
    html = page(client, f"/admin/cadence/{audience_id}")
    data = {"csrf_token": csrf_token(client)}
    for tag in re.findall(r"<input [^>]*>", html):
        name = re.search(r' name="(policies-\d-\w+)"', tag)
        if not name:
            continue
        if 'type="checkbox"' in tag:
            if re.search(r"\schecked[\s>]", tag):
                data[name.group(1)] = "y"
        else:
            data[name.group(1)] = re.search(r' value="([^"]*)"', tag).group(1)
    notice = re.search(r"<textarea[^>]*>\s*(.*?)</textarea>", html, re.DOTALL)
    data["late_notice"] = html_unescape(notice.group(1))
    return data


def policies(app, slug):
    with app.app_context():
        return {
            p.severity: (p.update_interval, p.first_update_within, p.remind_before,
                         p.escalate_after, p.requires_review)
            for p in db.session.scalars(
                sa.select(CadencePolicy).where(CadencePolicy.audience_id == audience(slug).id)
            )
        }  # fmt: skip


def audit(app, prefix):
    with app.app_context():
        return [
            (entry.action, entry.details)
            for entry in db.session.scalars(
                sa.select(AuditEntry)
                .where(AuditEntry.action.startswith(prefix))
                .order_by(AuditEntry.id)
            )
        ]


def audience_id(app, slug):
    with app.app_context():
        return audience(slug).id


def test_the_overview_lists_every_audience_and_severity(app, client, team):
    act_as(client, team["ada"])
    html = page(client, "/admin/cadence")
    assert "every 30 minutes" in html and "nothing owed" in html
    assert f'href="/admin/cadence/{audience_id(app, "legal")}"' in html


def test_an_admin_changes_a_severitys_cadence_and_it_is_audited(app, client, team):
    act_as(client, team["ada"])
    customers = audience_id(app, "customers")
    data = policy_form(client, customers)
    assert data["policies-0-update_interval"] == "30"  # SEV1 customers: every 30 minutes
    data.update({"policies-0-update_interval": "20", "policies-0-remind_before": "5"})
    response = client.post(f"/admin/cadence/{customers}", data=data)
    assert response.status_code == 302
    assert policies(app, "customers")[Severity.SEV1] == (
        timedelta(minutes=20), timedelta(minutes=15), timedelta(minutes=5),
        timedelta(minutes=5), True,
    )  # fmt: skip
    [(action, details)] = audit(app, "cadence_policy.")
    assert action == "cadence_policy.edit" and details["severity"] == "SEV1"
    assert (details["before"]["update_interval"], details["after"]["update_interval"]) == (30, 20)


def test_a_severity_is_added_and_another_removed(app, client, team):
    act_as(client, team["ada"])
    legal = audience_id(app, "legal")  # owed updates at SEV1 only
    data = policy_form(client, legal)
    del data["policies-0-is_owed"]
    data.update(
        {
            "policies-1-is_owed": "y",
            "policies-1-update_interval": "120",
            "policies-1-first_update_within": "60",
            "policies-1-remind_before": "15",
            "policies-1-escalate_after": "30",
            "policies-1-requires_review": "y",
        }
    )
    assert client.post(f"/admin/cadence/{legal}", data=data).status_code == 302
    assert policies(app, "legal") == {
        Severity.SEV2: (
            timedelta(hours=2), timedelta(hours=1), timedelta(minutes=15),
            timedelta(minutes=30), True,
        )
    }  # fmt: skip
    assert [action for action, _ in audit(app, "cadence_policy.")] == [
        "cadence_policy.delete",
        "cadence_policy.create",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"policies-0-update_interval": "0"}, "SEV1: the update interval must be between 1 and"),
        ({"policies-0-escalate_after": ""}, "SEV1: fill in every time, in minutes."),
        ({"policies-0-remind_before": "soon"}, "Not a valid integer value"),
    ],
)
def test_bad_times_are_refused_and_nothing_is_saved(app, client, team, change, message):
    act_as(client, team["ada"])
    customers = audience_id(app, "customers")
    before = policies(app, "customers")
    data = policy_form(client, customers)
    data.update({"policies-1-update_interval": "45", **change})
    response = client.post(f"/admin/cadence/{customers}", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert policies(app, "customers") == before and audit(app, "cadence_policy.") == []


def test_a_late_notice_that_fails_to_render_is_refused_with_its_line(app, client, team):
    act_as(client, team["ada"])
    staff = audience_id(app, "staff")
    data = policy_form(client, staff)
    data.update(
        {"policies-0-update_interval": "10", "late_notice": "Late.\n{{ incident.title.__class__ }}"}
    )
    response = client.post(f"/admin/cadence/{staff}", data=data)
    assert response.status_code == 422
    assert "Template late notice, line 2:" in response.get_data(as_text=True)
    with app.app_context():
        assert audience("staff").late_notice.startswith("The update due by")
    assert policies(app, "staff")[Severity.SEV1][0] == timedelta(minutes=15)


def test_a_late_notice_is_previewed_against_the_sample_incident_before_saving(app, client, team):
    act_as(client, team["ada"])
    staff = audience_id(app, "staff")
    data = policy_form(client, staff)
    data.update(
        {
            "late_notice": "{{ incident.title }}: update due {{ next_update_at }} is late.",
            "action": "preview",
        }
    )
    html = client.post(f"/admin/cadence/{staff}", data=data).get_data(as_text=True)
    assert "Elevated error rates on the API: update due 14:30 UTC is late." in html
    assert audit(app, "audience.") == []


def test_a_stored_late_notice_that_no_longer_renders_says_so_on_the_page(app, client, team):
    with app.app_context():
        audience("staff").late_notice = "{% for x in range(10) %}{{ x.__class__ }}{% endfor %}"
        db.session.commit()
    act_as(client, team["ada"])
    html = page(client, f"/admin/cadence/{audience_id(app, 'staff')}")
    assert "Template late notice, line 1:" in html


def test_a_public_late_notice_saved_moves_the_public_version_and_is_audited(app, client, team):
    act_as(client, team["ada"])
    customers = audience_id(app, "customers")
    with app.app_context():
        version = current_version()
    data = policy_form(client, customers)
    data["late_notice"] = "Our update promised for {{ next_update_at }} is late."
    assert client.post(f"/admin/cadence/{customers}", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Audience, customers).late_notice == data["late_notice"]
        assert current_version() == version + 1
    [(action, details)] = audit(app, "audience.")
    assert action == "audience.late_notice" and details["after"] == data["late_notice"]
    assert audit(app, "cadence_policy.") == []  # the policies were sent back unchanged


# Figures.


def incident_with_history(app, team):
    """Declared 3 hours ago at SEV3: customers' first update 10 minutes late, then kept."""
    incident_id = declare(app, team, ago=timedelta(hours=3))
    declared = utcnow() - timedelta(hours=3)
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        make_published(incident, "customers", now=declared + timedelta(minutes=70))  # due at 60
        make_published(incident, "customers", now=declared + timedelta(minutes=150))  # due 190
        db.session.commit()
    return incident_id


def test_the_incident_page_shows_promises_made_kept_and_missed_per_audience(app, client, team):
    incident_id = incident_with_history(app, team)
    act_as(client, team["vic"])
    html = page(client, f"/admin/incidents/{incident_id}")
    row = re.search(r"<tr><th scope=\"row\">Customers</th>(.*?)</tr>", html, re.DOTALL).group(1)
    cells = [
        " ".join(re.sub(r"<[^>]+>", "", c).split())
        for c in re.findall(r"<td>(.*?)</td>", row, re.DOTALL)
    ]
    assert cells == ["3", "1", "1", "1", "10 minutes", "10 minutes", "1 hour 10 minutes"]


def test_the_postmortem_ends_with_the_cadence_figures(app, client, team):
    incident_id = incident_with_history(app, team)
    act_as(client, team["vic"])
    text = client.get(f"/admin/incidents/{incident_id}/postmortem.md").get_data(as_text=True)
    cadence = text[text.index("## Cadence") :]
    assert text.index("## Updates by audience") < text.index("## Cadence")
    assert (
        "| Customers | 3 | 1 | 1 | 1 | 0 | 10 minutes | 10 minutes | 1 hour 10 minutes |" in cadence
    )


def test_the_report_covers_the_last_30_days_per_audience_and_per_liaison(app, client, team):
    incident_with_history(app, team)
    act_as(client, team["vic"])
    html = page(client, "/admin/reports/cadence")
    today = utcnow().date()
    assert f'value="{today - timedelta(days=29)}"' in html and f'value="{today}"' in html
    assert re.search(r"<th scope=\"row\">Customers</th><td>[23]</td><td>1</td><td>1</td>", html)
    assert re.search(r"<th scope=\"row\">Lia</th><td>[23]</td><td>1</td><td>1</td>", html)
    assert "Nobody on duty" in html  # staff and support: nobody holds the internal duty


def test_a_period_before_anything_happened_is_empty(app, client, team):
    incident_with_history(app, team)
    act_as(client, team["vic"])
    html = page(client, "/admin/reports/cadence?start=2020-01-01&end=2020-01-31")
    assert "No promise fell due in this period." in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-03-05&end=2026-03-04", "The period must end on or after the day it starts."),
        ("start=2024-01-01&end=2026-01-01", "The period may be a year at most."),
        ("start=yesterday", "Dates are written like 2026-03-04."),
    ],
)
def test_a_bad_period_is_refused_with_a_message(app, client, team, query, message):
    act_as(client, team["vic"])
    response = client.get(f"/admin/reports/cadence?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_the_report_downloads_as_csv(app, client, team):
    incident_with_history(app, team)
    act_as(client, team["vic"])
    today = utcnow().date()
    response = client.get(
        f"/admin/reports/cadence.csv?start={today - timedelta(days=1)}&end={today}"
    )
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    customers = next(r for r in rows if (r["scope"], r["name"]) == ("audience", "Customers"))
    assert (customers["kept"], customers["missed"], customers["worst_lateness_seconds"]) == (
        "1",
        "1",
        "600",
    )
    assert ("liaison", "Lia") in {(r["scope"], r["name"]) for r in rows}


# Promises when composing and saving drafts.


def compose(client, incident_id, audience_slug, app, *, promise, action="publish"):
    html = page(client, f"/admin/incidents/{incident_id}/compose")
    key = f"audience-{audience_id(app, audience_slug)}"
    return client.post(
        f"/admin/incidents/{incident_id}/compose",
        data={
            "csrf_token": csrf_token(client),
            "version": re.search(r'name="version" value="(\d+)"', html).group(1),
            "loaded_at": re.search(r'name="loaded_at" value="([^"]+)"', html).group(1),
            "status": "identified",
            "action": action,
            f"{key}-send": "on",
            f"{key}-title": "Checkout failing",
            f"{key}-body": "We found it.",
            f"{key}-promise": form_time(utcnow() + promise),
        },
    )


def updates(app):
    with app.app_context():
        return db.session.scalars(sa.select(Update)).all()


@pytest.mark.parametrize("action", ["publish", "save", "submit"])
def test_a_liaison_promising_later_than_policy_gets_a_form_error_and_nothing_is_written(
    app, client, team, action
):
    incident_id = declare(app, team, ago=timedelta(minutes=5))  # SEV3: customers every 2 hours
    act_as(client, team["lia"])
    response = compose(
        client, incident_id, "customers", app, promise=timedelta(hours=3), action=action
    )
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert (
        "At SEV3, Customers are owed an update at least every 2 hours: only a commander or an "
        "admin may promise a later one."
    ) in html
    assert 'aria-invalid="true" aria-describedby="late-promise"' in html
    assert "We found it." in html  # the text is still in the form
    assert updates(app) == []


def test_a_liaison_may_promise_sooner_than_policy(app, client, team):
    incident_id = declare(app, team, ago=timedelta(minutes=5))
    act_as(client, team["lia"])
    response = compose(client, incident_id, "customers", app, promise=timedelta(minutes=45))
    assert response.status_code == 302
    [update] = updates(app)
    assert update.state is UpdateState.PUBLISHED


@pytest.mark.parametrize("who", ["cora", "ada"])
def test_a_commander_or_admin_may_promise_later_than_policy(app, client, team, who):
    incident_id = declare(app, team, ago=timedelta(minutes=5))
    act_as(client, team[who])
    response = compose(client, incident_id, "customers", app, promise=timedelta(hours=3))
    assert response.status_code == 302
    [update] = updates(app)
    assert update.state is UpdateState.PUBLISHED
    assert update.next_update_due_at - utcnow() > timedelta(hours=2, minutes=58)


def draft_form(client, update_id, *, promise, action="save"):
    html = page(client, f"/admin/updates/{update_id}")
    return client.post(
        f"/admin/updates/{update_id}",
        data={
            "csrf_token": csrf_token(client),
            "version": re.search(r'name="version"[^>]*value="(\d+)"', html).group(1),
            "title": "Checkout failing",
            "body": "Still on it.",
            "next_update_due_at": form_time(utcnow() + promise),
            "action": action,
        },
    )


def test_saving_a_draft_with_a_later_promise_is_refused_to_a_liaison_but_not_a_commander(
    app, client, team
):
    incident_id = declare(app, team, ago=timedelta(minutes=5))
    with app.app_context():
        lia = db.session.get(incidents.User, team["lia"])
        update_id = make_draft(db.session.get(Incident, incident_id), by=lia, now=utcnow()).id
        db.session.commit()
    act_as(client, team["lia"])
    refused = draft_form(client, update_id, promise=timedelta(hours=3))
    assert refused.status_code == 403
    assert "only a commander or an admin may promise a later one" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Update, update_id).next_update_due_at is None
    act_as(client, team["cora"])
    assert draft_form(client, update_id, promise=timedelta(hours=3)).status_code == 302
    with app.app_context():
        assert db.session.get(Update, update_id).next_update_due_at is not None
    # The liaison cannot then publish the commander's later promise as their own.
    act_as(client, team["lia"])
    refused = draft_form(client, update_id, promise=timedelta(hours=3), action="publish")
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.get(Update, update_id).state is UpdateState.DRAFT
