"""Driving the console the way a team does during an incident: declare, compose, approve, edit.

Every step goes through the real forms (CSRF token, the version and load time the page carried),
as the signed-in person of the moment, and fails the test at once when the console refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from statuspage.extensions import db
from statuspage.jobs import find_job
from statuspage.models import Audience, Component, Update, UpdateState
from tests.console import act_as, csrf_token
from tests.helpers import form_time


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert match, f"the form has no {name}"
    return match.group(1)


class Console:
    """One browser session on the console, acting as whoever `as_` names."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app, self.client = app, client
        with app.app_context():
            self.audiences = {a.slug: a.id for a in db.session.query(Audience)}

    def as_(self, user_id: int) -> Console:
        act_as(self.client, user_id)
        return self

    def component(self, name: str) -> int:
        with self.app.app_context():
            return db.session.query(Component).filter_by(name=name).one().id

    def declare(
        self,
        title: str,
        *,
        severity: str = "SEV3",
        components: Mapping[str, str] = {},
        public_title: str = "",
    ) -> int:
        """Declare an incident; its id."""
        data = {
            "csrf_token": csrf_token(self.client),
            "title": title,
            "public_title": public_title,
            "severity": severity,
            **self._components(components),
        }
        answer = self.client.post("/admin/incidents/new", data=data)
        assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
        return int(re.search(r"/admin/incidents/(\d+)", answer.headers["Location"]).group(1))

    def compose(
        self,
        incident_id: int,
        *,
        status: str,
        messages: Mapping[str, str | None],  # audience slug -> body (None: the template's text)
        components: Mapping[str, str] = {},
        action: str = "publish",
        expect: int = 302,
    ) -> TestResponse:
        """Write one update to each named audience and publish (or save, or send for review)."""
        page = self.client.get(f"/admin/incidents/{incident_id}/compose").get_data(as_text=True)
        data = {
            "csrf_token": csrf_token(self.client),
            "version": _hidden(page, "version"),
            "loaded_at": _hidden(page, "loaded_at"),
            "status": status,
            "action": action,
            **self._components(components),
        }
        for slug, body in messages.items():
            prefix = f"audience-{self.audiences[slug]}-"
            data |= {
                prefix + "send": "on",
                prefix + "title": f"Update: {slug}",
                prefix + "body": body,
            }
        answer = self.client.post(f"/admin/incidents/{incident_id}/compose", data=data)
        assert answer.status_code == expect, answer.get_data(as_text=True)[:3000]
        return answer

    def approve(self, update_id: int) -> None:
        """Publish a draft in review as it stands (the reviewer's approval)."""
        page = self.client.get(f"/admin/updates/{update_id}").get_data(as_text=True)
        with self.app.app_context():
            update = db.session.get(Update, update_id)
            title, body = update.title, update.body
        answer = self.client.post(
            f"/admin/updates/{update_id}",
            data={
                "csrf_token": csrf_token(self.client),
                "version": _hidden(page, "version"),
                "title": title,
                "body": body,
                "action": "publish",
            },
        )
        assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]

    def schedule_maintenance(
        self,
        title: str,
        *,
        starts: datetime,
        lasts: timedelta,
        components: list[str],
        messages: Mapping[str, str],
    ) -> int:
        """Schedule a maintenance window, telling the named audiences; its id."""
        data = {
            "csrf_token": csrf_token(self.client),
            "title": title,
            "scheduled_for": form_time(starts),
            "scheduled_until": form_time(starts + lasts),
        }
        answer = self.client.post(
            "/admin/maintenance/new",
            data={
                **data,
                "components": [str(self.component(name)) for name in components],
                **{f"audience-{self.audiences[slug]}-send": "on" for slug in messages},
                **{
                    f"audience-{self.audiences[slug]}-body": body for slug, body in messages.items()
                },
            },
        )
        assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
        return int(re.search(r"/admin/incidents/(\d+)", answer.headers["Location"]).group(1))

    def run_job(self, name: str, at: datetime) -> None:
        """One run of a scheduler job at the given time, committed as the scheduler does."""
        with self.app.app_context():
            find_job(name).run(at, self.app.config)
            db.session.commit()

    def edit_details(self, incident_id: int, *, title: str, severity: str) -> None:
        page = self.client.get(f"/admin/incidents/{incident_id}").get_data(as_text=True)
        answer = self.client.post(
            f"/admin/incidents/{incident_id}/details",
            data={
                "csrf_token": csrf_token(self.client),
                "version": _hidden(page, "version"),
                "loaded_at": _hidden(page, "loaded_at"),
                "title": title,
                "severity": severity,
            },
        )
        assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]

    def updates_in(self, state: UpdateState) -> list[int]:
        with self.app.app_context():
            return [u.id for u in db.session.query(Update).filter_by(state=state)]

    def _components(self, statuses: Mapping[str, str]) -> dict[str, str]:
        return {f"component-{self.component(name)}": status for name, status in statuses.items()}
