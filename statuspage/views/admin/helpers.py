"""Small pieces the console's views share: the site, the signed-in user, form parsing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from flask import abort, current_app, flash, redirect
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.core.site import Site
from statuspage.extensions import db
from statuspage.models import Component, ComponentStatus, User
from statuspage.permissions import Permission, has_permission
from statuspage.services.cadence.notices import open_alerts_for
from statuspage.services.components import list_components
from statuspage.views.admin import bp


def site() -> Site:
    return Site.from_config(current_app.config)


def me() -> User:
    """The signed-in user as a model (current_user is a proxy)."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def require(allowed: bool) -> None:
    """Refuse with 403 unless the per-object check passed."""
    if not allowed:
        abort(403)


def parse_loaded_at(value: str | None) -> datetime:
    """When the form was built (to list what changed since); now if missing or garbled."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return utcnow()
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_int(value: str | None) -> int | None:
    return int(value) if value and value.strip().lstrip("-").isdigit() else None


def all_components() -> list[Component]:
    return [c for listing in list_components(include_internal=True) for c in listing.components]


def component_changes(
    form: Mapping[str, str], prefix: str = "component-"
) -> dict[Component, ComponentStatus]:
    """Statuses chosen in `<prefix><id>` selects; a blank choice means no change."""
    changes = {}
    for component in all_components():
        value = form.get(f"{prefix}{component.id}", "")
        if not value:
            continue
        try:
            changes[component] = ComponentStatus(value)
        except ValueError as error:
            raise ValidationError(f"{value!r} is not a component status.") from error
    return changes


@bp.context_processor
def console_context() -> dict[str, object]:
    """`may('manage_users')` in console templates (the permission table decides what is shown),
    and the signed-in person's open cadence alerts for the banner on every console page."""
    signed_in = current_user.is_authenticated
    return {
        "may": lambda name: has_permission(current_user, Permission(name)),
        "component_statuses": list(ComponentStatus),
        "my_alerts": open_alerts_for(me()) if signed_in else [],
        "alerts_at": utcnow(),
    }


T = TypeVar("T")


def submit_form(
    form: FlaskForm,
    change: Callable[[], T],
    *,
    done: Callable[[T], tuple[str, str]],
) -> Response | None:
    """For a valid submitted form: run the service, commit, flash and go where `done` says.

    `done(result)` gives (message, url). None means "show the form again": not submitted, not
    valid, or refused by the service (its message is added to the form's errors).
    """
    if not form.validate_on_submit():
        return None
    try:
        result = change()
    except ValidationError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return None
    db.session.commit()
    message, url = done(result)
    flash(message, "success")
    return redirect(url)


def form_status(form: FlaskForm) -> int:
    """422 for a form shown again with errors, else 200."""
    return 422 if form.errors or form.form_errors else 200


def spreadsheet_cell(text: str) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text
