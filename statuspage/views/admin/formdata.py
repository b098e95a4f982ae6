"""Reading what console forms send (when the form was built, ids, texts within their limits,
component status choices), and `submit_form`, the path of a valid form through its service to a
redirect."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from flask import flash, redirect
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.core.dbtypes import LARGEST_INTEGER
from statuspage.core.errors import ValidationError
from statuspage.core.times import INPUT_YEARS
from statuspage.extensions import db
from statuspage.models import Component, ComponentStatus
from statuspage.services.components import all_components


def parse_loaded_at(value: str | None) -> datetime:
    """When the form was built (to list what changed since); now if missing or garbled."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return utcnow()
    if moment.year not in INPUT_YEARS:
        return utcnow()
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_int(value: str | None) -> int | None:
    """A whole number as forms send ids and versions; None if it is none, or none a row holds."""
    text = (value or "").strip()
    if not re.fullmatch(r"-?[0-9]{1,10}", text) or abs(int(text)) > LARGEST_INTEGER:
        return None
    return int(text)


def read_text(
    form: Mapping[str, str],
    name: str,
    *,
    limit: int,
    label: str,
    errors: list[str],
    default: str = "",
) -> str:
    """The field's text, cut to `limit` characters with a message in `errors` when it was longer:
    nothing that long could be saved, and a form shown again (with its previews, and templates
    filled from it) stays as small as what can be saved."""
    text = form.get(name, default)
    if len(text) <= limit:
        return text
    errors.append(
        f"{label} had {len(text):,} characters, more than the {limit:,} it may have: only the "
        f"first {limit:,} are kept. Check its end."
    )
    return text[:limit]


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
