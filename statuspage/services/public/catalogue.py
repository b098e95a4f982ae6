"""Public components by public group, in display order: the catalogue every public surface shows."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from statuspage.core.errors import NotFound
from statuspage.extensions import db
from statuspage.models import Component, ComponentGroup, ComponentStatus, Visibility
from statuspage.services.incidents import impacts
from statuspage.services.public.memo import per_transaction
from statuspage.services.public.types import ComponentCatalogue, PublicComponent, PublicGroup


@per_transaction
def component_catalogue() -> ComponentCatalogue:
    """Public components by public group in display order, with 1-based positions."""
    groups = db.session.scalars(
        sa.select(ComponentGroup)
        .where(ComponentGroup.visibility == Visibility.PUBLIC)
        .order_by(ComponentGroup.position, ComponentGroup.id)
    ).all()
    public_group_ids = {group.id for group in groups}
    components = db.session.scalars(
        sa.select(Component)
        .where(Component.visibility == Visibility.PUBLIC)
        .order_by(Component.position, Component.id)
    ).all()
    statuses = impacts.effective_statuses([c.id for c in components], public=True)
    by_group: dict[int | None, list[Component]] = defaultdict(list)
    for component in components:
        if component.group_id is None or component.group_id in public_group_ids:
            by_group[component.group_id].append(component)
    ungrouped = tuple(
        _public_component(c, statuses[c.id], i) for i, c in enumerate(by_group[None], start=1)
    )
    public_groups = []
    for group in groups:
        members = tuple(
            _public_component(c, statuses[c.id], i)
            for i, c in enumerate(by_group[group.id], start=1)
        )
        if not members:
            continue
        public_groups.append(
            PublicGroup(
                id=group.id,
                name=group.name,
                description=group.description,
                position=len(ungrouped) + len(public_groups) + 1,
                status=max((c.status for c in members), key=lambda s: s.rank),
                created_at=group.created_at,
                updated_at=max(group.updated_at, *(c.updated_at for c in members)),
                components=members,
            )
        )
    return ComponentCatalogue(ungrouped, tuple(public_groups))


def _public_component(
    component: Component, status: ComponentStatus, position: int
) -> PublicComponent:
    return PublicComponent(
        id=component.id,
        name=component.name,
        description=component.description,
        status=status,
        position=position,
        group_id=component.group_id,
        showcase=component.showcase,
        only_show_if_degraded=component.only_show_if_degraded,
        start_date=component.start_date,
        created_at=component.created_at,
        updated_at=component.updated_at,
    )


def public_component(component_id: int) -> PublicComponent:
    """The public component with this id, or NotFound (internal ones do not exist publicly)."""
    component = component_catalogue().get(component_id)
    if component is None:
        raise NotFound(f"There is no public component {component_id}.")
    return component
