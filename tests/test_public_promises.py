"""The public promise turns into the audience's late notice on its own when it falls due.

No scheduler runs here: the cached page, JSON and feed expire at the promised time and say the
update is late at once (the cadence tick later bumps the version as well).
"""

import time
from datetime import timedelta

from statuspage.clock import utcnow
from statuspage.extensions import db
from statuspage.models import Role, Severity
from statuspage.services import publishing
from tests.factories import audience, make_incident, make_user

LATE = "Our next update is running late; we will post one as soon as we can."


def publish_with_promise(app, seconds):
    with app.app_context():
        now = utcnow()
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


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the surface never said the update is late"
        time.sleep(0.1)


def test_the_incident_page_says_late_once_the_promise_passes(app, client):
    incident_id = publish_with_promise(app, seconds=2)
    page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "Next update by" in page and LATE not in page
    wait_until(lambda: LATE in client.get(f"/incidents/{incident_id}").get_data(as_text=True))
    assert "Next update by" not in client.get(f"/incidents/{incident_id}").get_data(as_text=True)


def test_the_json_flags_the_update_overdue_once_the_promise_passes(app, client):
    publish_with_promise(app, seconds=2)
    unresolved = client.get("/api/v2/incidents/unresolved.json").json["incidents"][0]
    assert unresolved["next_update_at"] is not None and unresolved["update_overdue"] is False
    wait_until(
        lambda: client.get("/api/v2/summary.json").json["incidents"][0]["update_overdue"] is True
    )


def test_the_status_page_and_history_feed_say_late_once_the_promise_passes(app, client):
    publish_with_promise(app, seconds=2)
    assert "Next update by" in client.get("/").get_data(as_text=True)
    wait_until(lambda: LATE in client.get("/").get_data(as_text=True))
    wait_until(lambda: LATE in client.get("/history.atom").get_data(as_text=True))
