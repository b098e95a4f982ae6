"""Issue 17 in the console: an admin makes an integration and is shown its receiver URL once,
edits its rules (a rule naming no component is refused), and sees the alerts it received.
Who may reach these pages, and CSRF, are in test_console_access.py."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from statuspage.extensions import db
from statuspage.models import Role
from tests.console import act_as, csrf_token
from tests.factories import make_component, make_user

NEW = {"kind": "alertmanager", "name": "Prometheus", "mode": "automate",
       "holddown_seconds": "0", "commander_id": "0", "active": "y"}  # fmt: skip


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    with app.app_context():
        make_component("API")
        user = make_user(Role.ADMIN)
        db.session.commit()
        act_as(client, user.id)
    return client


def create(client: FlaskClient) -> tuple[str, str]:
    page = client.post("/admin/integrations/new", data={**NEW, "csrf_token": csrf_token(client)})
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    url = re.search(r'<code id="receiver-url">([^<]+)</code>', page.get_data(as_text=True))
    assert url is not None
    [link] = re.findall(r'href="(/admin/integrations/\d+)"', page.get_data(as_text=True))
    return url.group(1), link


def test_a_new_integration_shows_its_receiver_url_once(admin):
    url, link = create(admin)
    secret = url.rsplit("/", 1)[1]
    assert url.startswith("http://status.test/hooks/alerts/") and len(secret) >= 40
    assert secret not in admin.get(link).get_data(as_text=True)
    assert secret not in admin.get("/admin/integrations").get_data(as_text=True)


def test_the_alerts_received_are_listed(admin):
    url, link = create(admin)
    body = {"version": "4", "status": "firing", "alerts": [{"status": "firing",
            "labels": {"component": "API"}, "annotations": {"summary": "API is down"}}]}  # fmt: skip
    posted = admin.post(url.removeprefix("http://status.test"), data=json.dumps(body),
                        content_type="application/json")  # fmt: skip
    assert posted.status_code == 200
    for page in ("/admin/integrations", link):
        text = admin.get(page).get_data(as_text=True)
        assert "API is down" in text and "firing" in text


def test_a_rule_naming_no_component_is_refused_with_the_reason(admin):
    _, link = create(admin)
    form = {**NEW, "rules": "service=api -> Nowhere", "csrf_token": csrf_token(admin)}
    page = admin.post(link, data=form)
    assert page.status_code == 422
    assert "there is no component &#39;Nowhere&#39;" in page.get_data(as_text=True)
