"""Components and their groups: create, edit, order, and public or internal-only visibility."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.extensions import db
from statuspage.models import Component, ComponentGroup, ComponentStatus, Visibility
from statuspage.permissions import Permission
from statuspage.services import components as catalogue
from statuspage.services import configuration
from statuspage.services.incidents import impacts
from statuspage.views.access import me, permission_required
from statuspage.views.admin.formdata import form_status, submit_form
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import ComponentForm, GroupForm, options

routes = Routes()


@routes.get("/components")
@permission_required(Permission.MANAGE_CONFIGURATION)
def components() -> str:
    return render_template(
        "admin/components.html",
        listings=catalogue.list_components(include_internal=True),
        standing=impacts.standing(),
    )


@routes.route("/components/new", ["GET", "POST"])
@routes.route("/components/<int:component_id>", ["GET", "POST"])
@permission_required(Permission.MANAGE_CONFIGURATION)
def edit_component(component_id: int | None = None) -> str | Response | tuple[str, int]:
    component = catalogue.get_component(component_id) if component_id else None
    form = ComponentForm(
        obj=component,
        group_id=component.group_id or 0 if component else 0,
        status_by_hand=str(component.manual_status or "") if component else "",
    )
    form.group_id.choices = options(
        [(0, "No group")] + [(g.id, g.name) for g in catalogue.list_groups()]
    )
    saved = submit_form(
        form,
        lambda: configuration.save_component(
            component,
            name=form.name.data or "",
            description=form.description.data,
            group=catalogue.get_group(form.group_id.data) if form.group_id.data else None,
            visibility=Visibility(form.visibility.data),
            manual_status=ComponentStatus(form.status_by_hand.data)
            if form.status_by_hand.data
            else None,
            availability_target=form.availability_target.data,
            by=me(),
            now=utcnow(),
        ),
        done=lambda saved: (f"Saved {saved.name}.", url_for("admin.components")),
    )
    return saved or (
        render_template("admin/component_edit.html", form=form, component=component),
        form_status(form),
    )


@routes.route("/groups/new", ["GET", "POST"])
@routes.route("/groups/<int:group_id>", ["GET", "POST"])
@permission_required(Permission.MANAGE_CONFIGURATION)
def edit_group(group_id: int | None = None) -> str | Response | tuple[str, int]:
    group = catalogue.get_group(group_id) if group_id else None
    form = GroupForm(obj=group)
    saved = submit_form(
        form,
        lambda: configuration.save_group(
            group,
            name=form.name.data or "",
            description=form.description.data,
            visibility=Visibility(form.visibility.data),
            by=me(),
            now=utcnow(),
        ),
        done=lambda saved: (f"Saved the group {saved.name}.", url_for("admin.components")),
    )
    return saved or (
        render_template("admin/group_edit.html", form=form, group=group),
        form_status(form),
    )


@routes.post("/components/<int:component_id>/move")
@permission_required(Permission.MANAGE_CONFIGURATION)
def move_component(component_id: int) -> Response:
    return _move(catalogue.get_component(component_id))


@routes.post("/groups/<int:group_id>/move")
@permission_required(Permission.MANAGE_CONFIGURATION)
def move_group(group_id: int) -> Response:
    return _move(catalogue.get_group(group_id))


def _move(item: Component | ComponentGroup) -> Response:
    offset = -1 if request.form.get("direction") == "up" else 1
    try:
        configuration.move(item, offset, by=me(), now=utcnow())
    except ValidationError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
    return redirect(url_for("admin.components") + f"#{type(item).__name__.lower()}-{item.id}")
