"""Reading what console forms send (when the form was built, ids, component status choices),
and `submit_form`, the path of a valid form through its service to a redirect."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from flask import flash, redirect
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.extensions import db
from statuspage.models import Component, ComponentStatus
from statuspage.services.components import all_components


def parse_loaded_at(value: str | None) -> datetime:
    """When the form was built (to list what changed since); now if missing or garbled."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return utcnow()
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_int(value: str | None) -> int | None:
    return int(value) if value and value.strip().lstrip("-").isdigit() else None


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
