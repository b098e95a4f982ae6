"""The public promise turns into the audience's late notice on its own when it falls due.

No scheduler runs here: the cached page, JSON and feed expire at the promised time and say the
update is late at once (the cadence tick later bumps the version as well). The test moves the
pinned clock past the promise instead of waiting for it.
"""

from datetime import timedelta

from statuspage.core.clock import pinned
from statuspage.extensions import db
from statuspage.models import Role, Severity
from statuspage.services.incidents import publishing
from tests.factories import audience, make_incident, make_user

LATE = "Our next update is running late; we will post one as soon as we can."


def publish_with_promise(app, now, seconds):
    with app.app_context():
        incident = make_incident(severity=Severity.SEV3, now=now, title="Slow search")
        liaison = make_user(Role.COMMANDER)
        draft = publishing.add_draft(
            incident,
            audience("customers"),
            body="Searches are slow.",
            by=liaison,
            now=now,
            next_update_due_at=now + timedelta(seconds=seconds),
        )
        publishing.publish_update(draft, by=liaison, now=now)
        db.session.commit()
        return incident.id


def test_the_incident_page_says_late_once_the_promise_passes(app, client, now):
    incident_id = publish_with_promise(app, now, seconds=2)
    page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "Next update by" in page and LATE not in page
    with pinned(now + timedelta(seconds=2)):
        page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert LATE in page and "Next update by" not in page


def test_the_json_flags_the_update_overdue_once_the_promise_passes(app, client, now):
    publish_with_promise(app, now, seconds=2)
    unresolved = client.get("/api/v2/incidents/unresolved.json").json["incidents"][0]
    assert unresolved["next_update_at"] is not None and unresolved["update_overdue"] is False
    with pinned(now + timedelta(seconds=2)):
        summary = client.get("/api/v2/summary.json").json
    assert summary["incidents"][0]["update_overdue"] is True


def test_the_status_page_and_history_feed_say_late_once_the_promise_passes(app, client, now):
    publish_with_promise(app, now, seconds=2)
    assert "Next update by" in client.get("/").get_data(as_text=True)
    assert LATE not in client.get("/history.atom").get_data(as_text=True)
    with pinned(now + timedelta(seconds=2)):
        assert LATE in client.get("/").get_data(as_text=True)
        assert LATE in client.get("/history.atom").get_data(as_text=True)
