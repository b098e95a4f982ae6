"""Components and component groups: list, create, read, change (a status sent is a status set by
hand, `operational` clearing it), all through the console's configuration service (audited).
Components and groups are never deleted here, as in the console: their history is kept."""

from __future__ import annotations

from typing import Any

from statuspage.core.clock import utcnow
from statuspage.core.errors import Conflict
from statuspage.extensions import db
from statuspage.models import Component, ComponentGroup, ComponentStatus, Visibility
from statuspage.permissions import Permission
from statuspage.services import components as catalogue
from statuspage.services import configuration
from statuspage.services.api import lists
from statuspage.services.incidents import impacts
from statuspage.views.api_v1 import access, shapes
from statuspage.views.api_v1.bodies import Envelope, pagination, record_id
from statuspage.views.api_v1.routing import ApiRoutes

routes = ApiRoutes("Components")
# showcase, only_show_if_degraded and start_date are accepted as Statuspage's clients send them,
# and change nothing: the console sets none of them either.
COMPONENT_FIELDS = ("name", "description", "group_id", "status", "showcase",
                    "only_show_if_degraded", "start_date", "visibility")  # fmt: skip
GROUP_FIELDS = ("name", "description", "components", "visibility")
KEPT = "Components and groups are kept with their history; make it internal to hide it."
BASE = "/pages/<page_id>/components"
GROUPS = "/pages/<page_id>/component-groups"


@routes.route(BASE, "GET", "List components", paginated=True, returns="Component[]")
def list_components() -> Any:
    page, per_page = pagination()
    statuses = impacts.effective_statuses(public=False)
    return [shapes.component(c, statuses) for c in lists.components(page=page, per_page=per_page)]


@routes.route(
    BASE,
    "POST",
    "Create a component",
    container="component",
    fields=COMPONENT_FIELDS,
    returns="Component",
    created=True,
)
def create_component() -> Any:
    return _save(None), 201


@routes.route(BASE + "/<int:component_id>", "GET", "Get a component", returns="Component")
def get_component(component_id: int) -> Any:
    return shapes.component(catalogue.get_component(component_id))


@routes.route(BASE + "/<int:component_id>", ("PATCH", "PUT"), "Update a component",
              container="component", fields=COMPONENT_FIELDS, returns="Component")  # fmt: skip
def update_component(component_id: int) -> Any:
    return _save(catalogue.get_component(component_id))


@routes.route(
    BASE + "/<int:component_id>", "DELETE", "Delete a component (refused: kept)", returns=None
)
def delete_component(component_id: int) -> Any:
    access.require(Permission.MANAGE_CONFIGURATION)
    catalogue.get_component(component_id)
    raise Conflict(KEPT)


def _save(component: Component | None) -> Any:
    user = access.require(Permission.MANAGE_CONFIGURATION)
    body = Envelope("component", COMPONENT_FIELDS)
    group_id = body.fields.get("group_id")
    group = component.group if component else None
    if "group_id" in body:
        group = catalogue.get_group(record_id(group_id, field="group_id")) if group_id else None
    status = body.choice("status", ComponentStatus)
    manual = component.manual_status if component else None
    if status is not None:
        manual = None if status is ComponentStatus.OPERATIONAL else status
    saved = configuration.save_component(
        component,
        name=body.text("name", required=component is None, max_length=120)
        or (component.name if component else ""),
        description=body.text("description", max_length=2000)
        if "description" in body
        else (component.description if component else None),
        group=group,
        visibility=body.choice("visibility", Visibility)
        or (component.visibility if component else Visibility.PUBLIC),
        manual_status=manual,
        availability_target=component.availability_target if component else None,
        by=user,
        now=utcnow(),
    )
    db.session.commit()
    return shapes.component(saved)


@routes.route(GROUPS, "GET", "List component groups", paginated=True, returns="ComponentGroup[]")
def list_groups() -> Any:
    page, per_page = pagination()
    return [shapes.group(g) for g in lists.groups(page=page, per_page=per_page)]


@routes.route(GROUPS, "POST", "Create a component group",
              container="component_group", fields=GROUP_FIELDS,
              returns="ComponentGroup", created=True)  # fmt: skip
def create_group() -> Any:
    return _save_group(None), 201


@routes.route(GROUPS + "/<int:group_id>", "GET", "Get a component group", returns="ComponentGroup")
def get_group(group_id: int) -> Any:
    return shapes.group(catalogue.get_group(group_id))


@routes.route(GROUPS + "/<int:group_id>", ("PATCH", "PUT"), "Update a component group",
              container="component_group", fields=GROUP_FIELDS,
              returns="ComponentGroup")  # fmt: skip
def update_group(group_id: int) -> Any:
    return _save_group(catalogue.get_group(group_id))


@routes.route(
    GROUPS + "/<int:group_id>", "DELETE", "Delete a component group (refused: kept)", returns=None
)
def delete_group(group_id: int) -> Any:
    access.require(Permission.MANAGE_CONFIGURATION)
    catalogue.get_group(group_id)
    raise Conflict(KEPT)


def _save_group(group: ComponentGroup | None) -> Any:
    user = access.require(Permission.MANAGE_CONFIGURATION)
    # Statuspage's clients send the description beside the envelope.
    body = Envelope("component_group", GROUP_FIELDS, also=("description",))
    description = body.text("description", max_length=2000)
    if description is None and isinstance(body.top.get("description"), str):
        description = body.top["description"][:2000]
    now = utcnow()
    saved = configuration.save_group(
        group,
        name=body.text("name", required=group is None, max_length=120)
        or (group.name if group else ""),
        description=description
        if description is not None
        else (group.description if group else None),
        visibility=body.choice("visibility", Visibility)
        or (group.visibility if group else Visibility.PUBLIC),
        by=user,
        now=now,
    )
    db.session.flush()
    for component_id in body.ids("components"):
        component = catalogue.get_component(component_id)
        configuration.save_component(
            component, name=component.name, description=component.description, group=saved,
            visibility=component.visibility, manual_status=component.manual_status,
            availability_target=component.availability_target, by=user, now=now,
        )  # fmt: skip
    db.session.commit()
    return shapes.group(saved)
