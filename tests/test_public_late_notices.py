"""A late notice is rendered once, by the cadence tick, when the promise falls due; public requests
only read the kept text (the built-in notice until the tick has run), so nothing an admin wrote is
ever rendered on a public request, however slow it would be."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from statuspage.core.clock import pinned
from statuspage.core.confined import ConfinedPool, Limits
from statuspage.extensions import db
from statuspage.jobs import find_job
from statuspage.models import Promise, PromiseState, Role, Severity
from statuspage.models.audiences import DEFAULT_LATE_NOTICE
from statuspage.services.incidents import publishing
from statuspage.services.templating import rendering
from tests.factories import audience, make_incident, make_user

NOTICE = "Sorry: our update on {{ incident.title }} is late."
TOLD = "Sorry: our update on Slow search is late."
# Legitimate work, just slow: some 30,000 replacements of 40,000 characters.
SLOW = "{% for i in range(30000) %}{% set x = ('x' * 40000)|replace('x', 'y') %}{% endfor %}late"


def promise_an_update(app, now, *, notice=NOTICE, minutes=10, title="Slow search"):
    """Customers promised an update `minutes` from now; their late notice is `notice`."""
    with app.app_context():
        customers = audience("customers")
        customers.late_notice = notice
        incident = make_incident(severity=Severity.SEV3, now=now, title=title)
        liaison = make_user(Role.COMMANDER)
        draft = publishing.add_draft(
            incident,
            customers,
            body="Searches are slow.",
            by=liaison,
            now=now,
            next_update_due_at=now + timedelta(minutes=minutes),
        )
        publishing.publish_update(draft, by=liaison, now=now)
        db.session.commit()
        return incident.id


def tick(app, at):
    with app.app_context():
        find_job("cadence-tick").run(at, app.config)
        db.session.commit()


def kept_notices(app):
    """The late notice kept on each promise still open to customers."""
    with app.app_context():
        promises = db.session.scalars(
            sa.select(Promise)
            .where(
                Promise.audience_id == audience("customers").id,
                Promise.state == PromiseState.OPEN,
            )
            .order_by(Promise.id)
        )
        return [promise.late_notice for promise in promises]


def public_pages(client, incident_id):
    return {
        path: client.get(path).get_data(as_text=True)
        for path in ("/", f"/incidents/{incident_id}", "/history.atom", "/history.rss")
    }


def forbid_rendering(monkeypatch):
    """From now on, any render in the sandbox fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a public request rendered a template")

    monkeypatch.setattr(rendering.SANDBOX, "call", refuse)


def test_the_tick_keeps_the_late_notice_once_the_promise_falls_due(app, client, now):
    incident_id = promise_an_update(app, now)
    tick(app, now + timedelta(minutes=9))
    assert kept_notices(app) == [None]
    tick(app, now + timedelta(minutes=10))
    assert kept_notices(app) == [TOLD]
    with pinned(now + timedelta(minutes=10)):
        pages = public_pages(client, incident_id)
    assert all(TOLD in page for page in pages.values()), pages


def test_public_requests_read_the_kept_notice_and_never_render_one(app, client, now, monkeypatch):
    incident_id = promise_an_update(app, now)
    tick(app, now + timedelta(minutes=10))
    forbid_rendering(monkeypatch)
    with pinned(now + timedelta(minutes=11)):
        pages = public_pages(client, incident_id)
        assert client.get("/api/v2/summary.json").json["incidents"][0]["update_overdue"] is True
    assert all(TOLD in page for page in pages.values())


def test_before_the_tick_the_public_reads_the_built_in_notice_not_the_admins(
    app, client, now, monkeypatch
):
    incident_id = promise_an_update(app, now)
    forbid_rendering(monkeypatch)
    with pinned(now + timedelta(minutes=10)):
        pages = public_pages(client, incident_id)
    assert all(DEFAULT_LATE_NOTICE in page and TOLD not in page for page in pages.values())


def test_a_notice_changed_after_the_promise_fell_due_leaves_what_the_public_was_told(
    app, client, now
):
    incident_id = promise_an_update(app, now)
    tick(app, now + timedelta(minutes=10))
    with app.app_context():
        audience("customers").late_notice = "Something else entirely."
        db.session.commit()
    with pinned(now + timedelta(minutes=11)):
        page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert TOLD in page and "Something else" not in page


def test_a_slow_notice_costs_public_requests_nothing(app, client, now, monkeypatch):
    incident_id = promise_an_update(app, now, notice=SLOW)
    forbid_rendering(monkeypatch)
    started = time.monotonic()
    with pinned(now + timedelta(minutes=10)):
        for _ in range(5):
            assert client.get(f"/incidents/{incident_id}").status_code == 200
    assert time.monotonic() - started < 1


def test_a_notice_that_overruns_is_stopped_once_per_tick_and_the_built_in_one_kept(
    app, now, monkeypatch
):
    pool = ConfinedPool(rendering.SANDBOX_FILE, size=1, limits=Limits(seconds=0.2))
    monkeypatch.setattr(rendering, "SANDBOX", pool)
    calls = []
    call = pool.call
    monkeypatch.setattr(pool, "call", lambda *args, **kw: calls.append(1) or call(*args, **kw))
    promise_an_update(app, now, notice=SLOW)
    promise_an_update(app, now, notice=SLOW, title="Slow login")
    started = time.monotonic()
    try:
        tick(app, now + timedelta(minutes=10))
    finally:
        pool.close()
    assert time.monotonic() - started < 2
    assert kept_notices(app) == [DEFAULT_LATE_NOTICE, DEFAULT_LATE_NOTICE]
    assert len(calls) == 1
