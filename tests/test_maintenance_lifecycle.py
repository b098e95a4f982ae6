"""The maintenance lifecycle: a planned window edited, moved, cancelled, extended or completed
early in the console; reminders before its start, each once; a series of windows; and what the
public page, the v2 JSON, the calendar and the subscribers' emails say of each change."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from statuspage.core.errors import InvalidTransition, ValidationError
from statuspage.core.site import Site
from statuspage.core.times import format_window, read_wall_clock, wall_clock_input
from statuspage.extensions import db
from statuspage.jobs import find_job
from statuspage.models import Incident, IncidentStatus, MaintenanceReminder, Role
from statuspage.services.incidents import reminders, windows
from statuspage.services.incidents.maintenance import plan_maintenance
from tests.console import act_as, csrf_token
from tests.factories import NOW, audience, make_component, make_subscriber, make_user
from tests.helpers import page_zone
from tests.mail import text_part
from tests.outbox import deliver

ZONE = page_zone()
START = (NOW + timedelta(hours=30)).replace(second=0, microsecond=0)
LENGTH = timedelta(hours=2)
MOVED = START + timedelta(days=4)
READER = "reader@example.com"


def typed(moment):
    """The moment as a person types it into the console: 24-hour, on the page zone's clock."""
    return wall_clock_input(moment, ZONE)


@pytest.fixture
def planned(app):
    """A window 30 hours ahead over the public Search component, announced to customers, who
    have an email subscriber; with the commander who planned it."""
    with app.app_context():
        cora = make_user(Role.COMMANDER, name="Cora")
        search = make_component("Search")
        customers = audience("customers")
        make_subscriber(READER)
        window = plan_maintenance(
            title="Search upgrade",
            scheduled_for=START,
            scheduled_until=START + LENGTH,
            components=[search],
            messages={customers: ""},
            site=_site(app),
            by=cora,
            now=NOW,
        )
        db.session.commit()
        return {"window": window.id, "cora": cora.id}


def _site(app):
    return Site.from_config(app.config)


def run(app, job, at):
    with app.app_context():
        result = find_job(job).run(at, app.config)
        db.session.commit()
        return result


def armed(app, window_id):
    with app.app_context():
        return sorted(
            (r.hours_before, r.starts_at, r.sent_at is not None)
            for r in db.session.scalars(
                sa.select(MaintenanceReminder).where(MaintenanceReminder.incident_id == window_id)
            )
        )


def change(app, action, window_id, **kwargs):
    """Run a windows service as the window's planner, committed."""
    with app.app_context():
        window = db.session.get_one(Incident, window_id)
        by = make_user(Role.COMMANDER)
        result = action(window, site=_site(app), by=by, now=NOW, **kwargs)
        db.session.commit()
        return result


# Reminders.


def test_reminders_are_armed_only_for_offsets_still_ahead_when_planned(app, planned):
    # 30 hours ahead: the 72-hour reminder is already past, the 24- and 1-hour ones are owed.
    assert armed(app, planned["window"]) == [(1, START, False), (24, START, False)]


def test_each_reminder_goes_once_even_when_the_job_runs_twice(app, planned):
    due = START - timedelta(hours=24)
    assert run(app, "maintenance-reminders", due - timedelta(seconds=1)) == 0
    assert run(app, "maintenance-reminders", due) == 1
    assert run(app, "maintenance-reminders", due) == 0
    assert run(app, "maintenance-reminders", due + timedelta(minutes=5)) == 0
    assert armed(app, planned["window"]) == [(1, START, False), (24, START, True)]


def test_a_real_smtp_server_receives_the_reminder_before_the_start(app, planned, mailing):
    due = START - timedelta(hours=1)
    run(app, "maintenance-reminders", due)
    run(app, "maintenance-reminders", due)
    deliver(app, now=due)
    # The 24-hour reminder, found due at the same run, does not go as well: only the nearest.
    [message] = [m for m in mailing.to(READER) if m["Subject"].startswith("Reminder")]
    assert message["Subject"] == "Reminder: Search upgrade starts in 1 hour"
    text = text_part(message)
    assert format_window(START, START + LENGTH, ZONE, now=due) in text
    assert "Affected: Search." in text and "Unsubscribe: http" in text
    assert message["List-Unsubscribe"]


def test_a_reschedule_re_arms_the_reminders_for_the_new_start(app, planned):
    change(
        app, windows.reschedule_window, planned["window"],
        title="Search upgrade", starts=MOVED, ends=MOVED + LENGTH,
    )  # fmt: skip
    # 126 hours ahead now: all three are owed, for the new start; the old ones are gone.
    assert armed(app, planned["window"]) == [(1, MOVED, False), (24, MOVED, False),
                                             (72, MOVED, False)]  # fmt: skip
    assert run(app, "maintenance-reminders", START - timedelta(hours=1)) == 0
    assert run(app, "maintenance-reminders", MOVED - timedelta(hours=24)) == 1


def test_a_cancelled_window_sends_no_reminder(app, planned):
    change(app, windows.cancel_window, planned["window"])
    assert armed(app, planned["window"]) == []
    assert run(app, "maintenance-reminders", START - timedelta(hours=1)) == 0


def test_reminder_hours_are_an_audience_setting_in_whole_hours():
    assert reminders.parse_reminder_hours(" 1, 72 24 ") == "72,24,1"
    assert reminders.parse_reminder_hours("") == ""
    for bad in ("1.5", "-1", "0", "9999", "1,2,3,4,5,6,7", "soon"):
        with pytest.raises(ValidationError):
            reminders.parse_reminder_hours(bad)


# Emails of a change.


def test_the_subscribers_are_emailed_a_reschedule_and_a_cancellation(app, planned, mailing):
    change(
        app, windows.reschedule_window, planned["window"],
        title="Search upgrade", starts=MOVED, ends=MOVED + LENGTH, note="The vendor asked.",
    )  # fmt: skip
    change(app, windows.cancel_window, planned["window"])
    deliver(app, now=NOW)
    texts = [text_part(m) for m in mailing.to(READER)]
    old = format_window(START, START + LENGTH, ZONE, now=NOW)
    new = format_window(MOVED, MOVED + LENGTH, ZONE, now=NOW)
    [moved] = [t for t in texts if "moved from" in t]
    assert f"Rescheduled: moved from {old} to {new}." in moved and "The vendor asked." in moved
    [cancelled] = [t for t in texts if "will not take place" in t]
    assert f"Cancelled: the maintenance planned for {new} will not take place." in cancelled


# What cannot be done.


def test_a_cancelled_or_completed_window_cannot_be_rescheduled(app, planned):
    change(app, windows.cancel_window, planned["window"])
    with pytest.raises(InvalidTransition):
        change(
            app, windows.reschedule_window, planned["window"],
            title="Again", starts=MOVED, ends=MOVED + LENGTH,
        )  # fmt: skip
    with pytest.raises(InvalidTransition):
        change(app, windows.cancel_window, planned["window"])


def test_a_window_must_end_after_it_starts(app, planned):
    with pytest.raises(ValidationError, match="end after it starts"):
        change(
            app, windows.reschedule_window, planned["window"],
            title="Search upgrade", starts=MOVED, ends=MOVED,
        )  # fmt: skip


def test_a_window_underway_is_extended_or_completed_early_not_rescheduled(app, planned):
    run(app, "maintenance-windows", START)
    with pytest.raises(InvalidTransition, match="extend it or complete it"):
        change(
            app, windows.reschedule_window, planned["window"],
            title="x", starts=MOVED, ends=MOVED + LENGTH,
        )  # fmt: skip
    later = START + LENGTH + timedelta(hours=1)
    change(app, windows.extend_window, planned["window"], ends=later)
    assert run(app, "maintenance-windows", START + LENGTH) == []  # still underway
    change(app, windows.complete_window, planned["window"])
    with app.app_context():
        window = db.session.get_one(Incident, planned["window"])
        assert window.status is IncidentStatus.COMPLETED and window.scheduled_until == NOW


# Times typed in the page's zone.


def test_times_the_clock_skips_or_repeats_are_refused():
    with pytest.raises(ValidationError, match="does not exist in Europe/Berlin"):
        read_wall_clock("2026-03-29 02:30", "Europe/Berlin", field="starts")
    with pytest.raises(ValidationError, match="happens twice in Europe/Berlin"):
        read_wall_clock("2026-10-25 02:30", "Europe/Berlin", field="starts")
    with pytest.raises(ValidationError, match="24-hour"):
        read_wall_clock("12/05/2026 2:00 PM", "Europe/Berlin", field="starts")
    assert read_wall_clock("2026-12-05 14:00", "Europe/Berlin", field="starts").hour == 13


def test_a_window_reads_as_one_day_or_across_midnight():
    day = read_wall_clock("2026-12-03 02:00", "Etc/UTC", field="starts")
    now = read_wall_clock("2026-12-01 00:00", "Etc/UTC", field="now")
    assert format_window(day, day + LENGTH, "Etc/UTC", now=now) == "Dec 3, 02:00–04:00 UTC"
    late = day + timedelta(hours=21)
    assert (
        format_window(late, late + LENGTH, "Etc/UTC", now=now)
        == "Dec 3, 23:00 UTC – Dec 4, 01:00 UTC"
    )


# A series.


def test_a_weekly_series_is_separate_windows_at_the_same_local_time(app):
    with app.app_context():
        site = Site(name="Acme", url="http://status.test", zone="Europe/Berlin")
        first = read_wall_clock("2027-03-21 03:00", site.zone, field="starts")  # CET
        series = windows.plan_series(
            title="Weekly patching",
            scheduled_for=first,
            scheduled_until=first + LENGTH,
            repeat=windows.Repeat("weekly", 3),
            components=[],
            messages={audience("customers"): ""},
            site=site,
            by=make_user(Role.ADMIN),
            now=NOW,
        )
        local = [w.scheduled_for.astimezone(ZoneInfo(site.zone))
                 for w in series]  # fmt: skip
        assert [f"{t:%m-%d %H:%M %Z}" for t in local] == [
            "03-21 03:00 CET", "03-28 03:00 CEST", "04-04 03:00 CEST",
        ]  # fmt: skip
        assert len({w.id for w in series}) == 3
        with pytest.raises(ValidationError):
            windows.Repeat("weekly", 53)


# The console, the public page and the v2 JSON.


@pytest.fixture
def console(client, app, planned):
    act_as(client, planned["cora"])
    return client


def edit_form(client, window_id, **fields):
    return {
        "csrf_token": csrf_token(client),
        "title": "Search upgrade",
        "scheduled_for": typed(MOVED),
        "scheduled_until": typed(MOVED + LENGTH),
        **fields,
    }


def upcoming_ids(client):
    body = client.get("/api/v2/scheduled-maintenances/upcoming.json").get_json()
    return [m["id"] for m in body["scheduled_maintenances"]]


def test_rescheduling_in_the_console_moves_the_window_on_the_page_and_in_the_json(console, planned):
    window_id = planned["window"]
    page = console.get(f"/admin/maintenance/{window_id}/edit")
    assert page.status_code == 200 and f"in {ZONE}" in page.get_data(as_text=True)
    answer = console.post(
        f"/admin/maintenance/{window_id}/edit", data=edit_form(console, window_id)
    )
    assert answer.status_code == 302
    json = console.get("/api/v2/scheduled-maintenances.json").get_json()
    [shown] = [m for m in json["scheduled_maintenances"] if m["id"] == str(window_id)]
    assert shown["scheduled_for"].startswith(f"{MOVED.astimezone(ZoneInfo(ZONE)):%Y-%m-%dT%H:%M}")
    assert "Rescheduled: moved from" in shown["incident_updates"][0]["body"]
    public = console.get(f"/incidents/{window_id}").get_data(as_text=True)
    assert "Rescheduled: moved from" in public


def test_cancelling_asks_first_then_leaves_upcoming_and_calendars_cancel_it(console, planned, app):
    window_id = planned["window"]
    before = Calendar.from_ical(console.get("/maintenance.ics").data).walk("VEVENT")[0]
    assert str(window_id) in upcoming_ids(console)
    assert 'aria-labelledby="maintenance"' in console.get("/").get_data(as_text=True)
    url = f"/admin/maintenance/{window_id}/cancel"
    asked = console.post(url, data={"csrf_token": csrf_token(console), "note": "Not needed."})
    assert asked.status_code == 200 and "Yes, cancel the window" in asked.get_data(as_text=True)
    assert str(window_id) in upcoming_ids(console)  # nothing happened yet
    done = console.post(url, data={"csrf_token": csrf_token(console), "note": "Not needed.",
                                   "confirmed": "yes"})  # fmt: skip
    assert done.status_code == 302
    assert str(window_id) not in upcoming_ids(console)
    assert 'aria-labelledby="maintenance"' not in console.get("/").get_data(as_text=True)
    after = Calendar.from_ical(console.get("/maintenance.ics").data).walk("VEVENT")[0]
    assert str(after["uid"]) == str(before["uid"])
    assert after.decoded("sequence") > before.decoded("sequence")
    assert str(after["status"]) == "CANCELLED" and str(before["status"]) == "CONFIRMED"
    public = console.get(f"/incidents/{window_id}").get_data(as_text=True)
    assert "Cancelled" in public and "Not needed." in public
    assert "Search upgrade" in console.get("/history").get_data(as_text=True)
    history = console.get("/history.atom").get_data(as_text=True)
    assert "Cancelled: the maintenance planned for" in history
    # A cancelled window cannot be rescheduled: a clear 409, in the console as anywhere.
    again = console.post(f"/admin/maintenance/{window_id}/edit", data=edit_form(console, window_id))
    assert again.status_code == 409 and "cannot be rescheduled" in again.get_data(as_text=True)


def test_bad_input_to_the_lifecycle_routes_is_a_clear_4xx(console, planned):
    window_id = planned["window"]
    url = f"/admin/maintenance/{window_id}/edit"
    backwards = console.post(url, data=edit_form(console, window_id,
                                                  scheduled_until=typed(MOVED - LENGTH)))  # fmt: skip
    assert backwards.status_code == 422 and "end after it starts" in backwards.get_data(
        as_text=True
    )
    garbled = console.post(url, data=edit_form(console, window_id, scheduled_for="tomorrow 2pm"))
    assert garbled.status_code == 422 and "24-hour" in garbled.get_data(as_text=True)
    assert console.get("/admin/maintenance/999999/edit").status_code == 404
    assert console.post("/admin/maintenance/999999/cancel",
                        data={"csrf_token": csrf_token(console)}).status_code == 404  # fmt: skip


def test_a_time_the_page_zone_skips_is_a_form_error(app, console, planned):
    app.config["TIMEZONE"] = "Europe/Berlin"
    url = f"/admin/maintenance/{planned['window']}/edit"
    data = edit_form(console, planned["window"], scheduled_for="2027-03-28 02:30",
                     scheduled_until="2027-03-28 05:00")  # fmt: skip
    answer = console.post(url, data=data)
    assert answer.status_code == 422
    assert "does not exist in Europe/Berlin" in answer.get_data(as_text=True)


def test_a_liaison_may_not_reschedule_or_cancel(client, app, planned):
    with app.app_context():
        lia = make_user(Role.LIAISON).id
        db.session.commit()
    act_as(client, lia)
    url = f"/admin/maintenance/{planned['window']}"
    assert client.get(f"{url}/edit").status_code == 403
    assert client.post(f"{url}/cancel", data={"csrf_token": csrf_token(client),
                                             "confirmed": "yes"}).status_code == 403  # fmt: skip


def test_the_schedule_page_says_which_zone_and_takes_a_series(console, app):
    page = console.get("/admin/maintenance/new").get_data(as_text=True)
    assert f"24-hour, YYYY-MM-DD HH:MM, in {ZONE}" in page
    with app.app_context():
        customers = audience("customers").id
    answer = console.post("/admin/maintenance/new", data={
        "csrf_token": csrf_token(console), "title": "Nightly vacuum",
        "scheduled_for": typed(MOVED), "scheduled_until": typed(MOVED + LENGTH),
        "repeat": "daily", "occurrences": "3", f"audience-{customers}-send": "on",
    })  # fmt: skip
    assert answer.status_code == 302
    with app.app_context():
        titles = db.session.scalars(sa.select(Incident).where(Incident.title == "Nightly vacuum"))
        assert len(titles.all()) == 3


def test_an_admin_sets_an_audiences_reminder_hours_in_the_console(client, app):
    with app.app_context():
        admin = make_user(Role.ADMIN).id
        customers = audience("customers")
        customers_id, name = customers.id, customers.name
        db.session.commit()
    act_as(client, admin)
    url = f"/admin/audiences/{customers_id}"
    form = {"csrf_token": csrf_token(client), "name": name, "liaison_role": "customer_liaison",
            "position": "1"}  # fmt: skip
    assert client.post(url, data={**form, "maintenance_reminders": "2, 48"}).status_code == 302
    refused = client.post(url, data={**form, "maintenance_reminders": "soon"})
    assert refused.status_code == 422 and "whole numbers of hours" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get_one(type(customers), customers_id).maintenance_reminders == "48,2"


def test_a_window_underway_is_extended_in_the_console(console, planned, app):
    run(app, "maintenance-windows", START)
    url = f"/admin/maintenance/{planned['window']}/edit"
    page = console.get(url).get_data(as_text=True)
    assert "Extend or complete" in page and "Complete it now" in page
    later = START + LENGTH + timedelta(hours=1)
    data = {"csrf_token": csrf_token(console), "scheduled_until": typed(later)}
    assert console.post(url, data=data).status_code == 302
    with app.app_context():
        assert db.session.get_one(Incident, planned["window"]).scheduled_until == later
    sooner = {**data, "scheduled_until": typed(START)}
    assert console.post(url, data=sooner).status_code == 422
