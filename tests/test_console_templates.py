"""The template editor: saved only if it renders, refusals with their line, a live preview."""

from __future__ import annotations

import pytest

from statuspage.extensions import db
from statuspage.models import IncidentStatus, MessageTemplate, Role
from tests.console import act_as, csrf_token
from tests.factories import audience, make_user


@pytest.fixture
def editor(app):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        template = (
            db.session.query(MessageTemplate)
            .filter_by(audience_id=audience("customers").id, status=IncidentStatus.IDENTIFIED)
            .one()
        )
        db.session.commit()
        return {"admin": admin.id, "template": template.id, "body": template.body}


def save(client, editor, body):
    return client.post(
        f"/admin/templates/{editor['template']}",
        data={"csrf_token": csrf_token(client), "title": "{{ incident.title }}", "body": body},
    )


def stored_body(app, editor):
    with app.app_context():
        return db.session.get(MessageTemplate, editor["template"]).body


def test_the_edit_page_lists_the_variables_and_previews_the_sample(client, editor):
    act_as(client, editor["admin"])
    html = client.get(f"/admin/templates/{editor['template']}").get_data(as_text=True)
    for name in (
        "incident.title",
        "incident.status_label",
        "components",
        "facts",
        "next_update_at",
    ):
        assert f"{{{{ {name} }}}}" in html
    assert "Elevated error rates on the API" in html  # the sample incident, rendered


def test_a_template_that_renders_is_saved(app, client, editor):
    act_as(client, editor["admin"])
    assert save(client, editor, "Fixing {{ components|length }} components.").status_code == 302
    assert stored_body(app, editor) == "Fixing {{ components|length }} components."


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__ }}",
        "{{ config }}",
        "{% include '/etc/passwd' %}",
        "{% for i in range(10**9) %}x{% endfor %}",
        "{{ 'x' * 10_000_000 }}",
    ],
)
def test_an_attack_is_refused_with_its_line_and_not_saved(app, client, editor, attack):
    act_as(client, editor["admin"])
    response = save(client, editor, "A first line.\n" + attack)
    assert response.status_code == 422
    assert "Template body, line 2:" in response.get_data(as_text=True)
    assert stored_body(app, editor) == editor["body"]


def test_the_live_preview_renders_or_explains(client, editor):
    act_as(client, editor["admin"])
    token = csrf_token(client)
    good = client.post(
        "/admin/templates/preview",
        data={
            "csrf_token": token,
            "title": "{{ incident.title }}",
            "body": "*{{ facts }}*",
            "status": "identified",
        },
    ).get_json()
    assert good["title"] == "Elevated error rates on the API" and "<em>" in good["html"]
    bad = client.post(
        "/admin/templates/preview",
        data={"csrf_token": token, "title": "T", "body": "ok\n{{ nope }}", "status": "identified"},
    ).get_json()
    assert bad["error"].startswith("Template body, line 2:")
