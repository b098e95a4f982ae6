"""Monitoring integrations: list them with the alerts received last, create one (its receiver URL
shown once, on the page that answers the creation), and edit its mode, rules and hold-down."""

from __future__ import annotations

from flask import current_app, render_template, url_for
from werkzeug.wrappers import Response

from statuspage.core.addresses import alert_receiver_path
from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.models import Integration, IntegrationKind, IntegrationMode
from statuspage.permissions import Permission
from statuspage.services import accounts
from statuspage.services.alerts import integrations
from statuspage.views.access import me, permission_required
from statuspage.views.admin.formdata import form_status, submit_form
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import IntegrationForm, options

routes = Routes()


@routes.get("/integrations")
@permission_required(Permission.MANAGE_CONFIGURATION)
def integrations_list() -> str:
    return render_template(
        "admin/integrations.html",
        integrations=integrations.list_integrations(),
        alerts=integrations.recent_alerts(),
    )


@routes.route("/integrations/new", ["GET", "POST"])
@permission_required(Permission.MANAGE_CONFIGURATION)
def new_integration() -> str | tuple[str, int]:
    form = _form(None)
    if form.validate_on_submit():
        try:
            integration, secret = integrations.create_integration(
                IntegrationKind(form.kind.data), _settings(form),
                key=current_app.config["SECRET_KEY"], by=me(), now=utcnow(),
            )  # fmt: skip
        except ValidationError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            url = current_site().url + alert_receiver_path(integration.id, secret)
            return render_template(
                "admin/integration_created.html", integration=integration, receiver_url=url
            )
    return render_template("admin/integration_edit.html", form=form, integration=None), (
        form_status(form)
    )


@routes.route("/integrations/<int:integration_id>", ["GET", "POST"])
@permission_required(Permission.MANAGE_CONFIGURATION)
def edit_integration(integration_id: int) -> str | Response | tuple[str, int]:
    integration = integrations.get_integration(integration_id)
    form = _form(integration)
    saved = submit_form(
        form,
        lambda: integrations.edit_integration(integration, _settings(form), by=me(), now=utcnow()),
        done=lambda saved: (f"Saved {saved.name}.", url_for("admin.integrations_list")),
    )
    return saved or (
        render_template(
            "admin/integration_edit.html",
            form=form,
            integration=integration,
            alerts=integrations.recent_alerts(integration),
        ),
        form_status(form),
    )


def _form(integration: Integration | None) -> IntegrationForm:
    if integration is None:
        form = IntegrationForm(impacts=integrations.impacts_text(integrations.DEFAULT_IMPACTS))
    else:
        form = IntegrationForm(
            obj=integration,
            rules=integrations.rules_text(integration),
            impacts=integrations.impacts_text(integration.impacts),
            commander_id=integration.commander_id or 0,
        )
        del form.kind  # fixed once created
    people = [u for u in accounts.list_users() if u.is_active]
    form.commander_id.choices = options([(0, "Nobody")] + [(u.id, u.name) for u in people])
    return form


def _settings(form: IntegrationForm) -> integrations.Settings:
    commander = form.commander_id.data
    return integrations.Settings(
        name=form.name.data or "",
        mode=IntegrationMode(form.mode.data),
        component_label=form.component_label.data or "component",
        rules=form.rules.data or "",
        impacts=form.impacts.data or "",
        holddown_seconds=form.holddown_seconds.data or 0,
        commander=accounts.get_user(commander) if commander else None,
        active=bool(form.active.data),
    )
