"""Components and groups: creating them, listing them in order, setting a status by hand, and
logging each move of a component's public status.

A component's status is derived (incidents.impacts); every move of its public status is logged
once (ComponentStatusChange: the uptime bars' record) and told to webhook subscribers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.core.errors import NotFound, ValidationError
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    ComponentStatusChange,
    Incident,
    Visibility,
)
from statuspage.services.incidents import impacts
from statuspage.services.outbox import enqueue
from statuspage.services.public.version import bump_publication
from statuspage.services.validation import clean_optional_text, clean_text

NAME_LENGTH = 120
DESCRIPTION_LENGTH = 2000


@dataclass
class GroupListing:
    """A group (None for components outside any group) and its components in display order."""

    group: ComponentGroup | None
    components: list[Component] = field(default_factory=list)


def create_group(
    name: str,
    *,
    now: datetime,
    description: str | None = None,
    position: int | None = None,
    visibility: Visibility = Visibility.PUBLIC,
) -> ComponentGroup:
    """Create a component group, placed last unless a position is given."""
    name = clean_text(name, field="name", max_length=NAME_LENGTH)
    if db.session.scalar(sa.select(ComponentGroup.id).where(ComponentGroup.name == name)):
        raise ValidationError(f"A group named {name!r} already exists.", field="name")
    if position is None:
        position = (db.session.scalar(sa.select(sa.func.max(ComponentGroup.position))) or 0) + 1
    group = ComponentGroup(
        name=name,
        description=clean_optional_text(
            description, field="description", max_length=DESCRIPTION_LENGTH, multiline=True
        ),
        position=position,
        visibility=visibility,
        created_at=now,
        updated_at=now,
    )
    db.session.add(group)
    db.session.flush()
    if group.is_public:
        bump_publication(now=now)
    return group


def create_component(
    name: str,
    *,
    now: datetime,
    group: ComponentGroup | None = None,
    description: str | None = None,
    position: int | None = None,
    visibility: Visibility = Visibility.PUBLIC,
) -> Component:
    """Create a component, placed last in its group unless a position is given."""
    name = clean_text(name, field="name", max_length=NAME_LENGTH)
    if db.session.scalar(sa.select(Component.id).where(Component.name == name)):
        raise ValidationError(f"A component named {name!r} already exists.", field="name")
    if position is None:
        position = _last_position(group) + 1
    component = Component(
        name=name,
        group=group,
        description=clean_optional_text(
            description, field="description", max_length=DESCRIPTION_LENGTH, multiline=True
        ),
        position=position,
        visibility=visibility,
        start_date=now.date(),
        created_at=now,
        updated_at=now,
    )
    db.session.add(component)
    db.session.flush()
    # The first history row says what the component was from the start (for uptime bars).
    db.session.add(
        ComponentStatusChange(
            component_id=component.id,
            old_status=None,
            status=ComponentStatus.OPERATIONAL,
            changed_at=now,
        )
    )
    if component.is_public:
        bump_publication(now=now)
    return component


def list_components(*, include_internal: bool) -> list[GroupListing]:
    """Every component by group in display order; ungrouped components come first."""
    groups = db.session.scalars(
        sa.select(ComponentGroup)
        .options(selectinload(ComponentGroup.components))
        .order_by(ComponentGroup.position, ComponentGroup.id)
    ).all()
    ungrouped = db.session.scalars(
        sa.select(Component)
        .where(Component.group_id.is_(None))
        .order_by(Component.position, Component.id)
    ).all()
    listings = [GroupListing(None, list(ungrouped))] if ungrouped else []
    listings += [GroupListing(group, list(group.components)) for group in groups]
    if include_internal:
        return listings
    public = [
        GroupListing(listing.group, [c for c in listing.components if c.is_public])
        for listing in listings
        if listing.group is None or listing.group.is_public
    ]
    return [listing for listing in public if listing.components]


def all_components(*, include_internal: bool = True) -> list[Component]:
    """Every component (or every public one) in display order, ungrouped ones first."""
    listings = list_components(include_internal=include_internal)
    return [component for listing in listings for component in listing.components]


def set_component_status(
    component: Component, status: ComponentStatus | None, *, now: datetime
) -> ComponentStatusChange | None:
    """Set the component's status by hand (None: derive it from incidents again); it is public at
    once. Returns the logged change of its public status, if it moved."""
    component.manual_status = ComponentStatus(status) if status is not None else None
    component.updated_at = now
    db.session.flush()
    changes = refresh_public_statuses([component.id], now=now)
    return changes[0] if changes else None


def refresh_public_statuses(
    component_ids: Iterable[int], *, now: datetime, incident: Incident | None = None
) -> list[ComponentStatusChange]:
    """Log each of these components whose public status moved, and tell webhook subscribers.

    Called wherever the inputs of a public status change: a publication to a public audience
    (`incident` is the one published) and a status set by hand. The caller freezes what webhooks
    say about each change (outbox.messages.freeze_component_change) in the same transaction.
    """
    ids = sorted(set(component_ids))
    current = impacts.effective_statuses(ids, public=True)
    logged = _last_logged(ids)
    changes = []
    for component_id in ids:
        old = logged.get(component_id, ComponentStatus.OPERATIONAL)
        if current[component_id] is old:
            continue
        change = ComponentStatusChange(
            component_id=component_id,
            old_status=old,
            status=current[component_id],
            changed_at=now,
            incident_id=incident.id if incident else None,
        )
        db.session.add(change)
        db.session.flush()
        component = db.session.get_one(Component, component_id)
        enqueue.enqueue_component_change(component, change, now=now)
        changes.append(change)
        if component.is_public:
            bump_publication(now=now)
    return changes


def _last_logged(component_ids: list[int]) -> dict[int, ComponentStatus]:
    newest = (
        sa.select(sa.func.max(ComponentStatusChange.id))
        .where(ComponentStatusChange.component_id.in_(component_ids))
        .group_by(ComponentStatusChange.component_id)
    )
    rows = db.session.execute(
        sa.select(ComponentStatusChange.component_id, ComponentStatusChange.status).where(
            ComponentStatusChange.id.in_(newest)
        )
    )
    return {cid: status for cid, status in rows}


def get_component(component_id: int) -> Component:
    """The component with this id, or NotFound."""
    component = db.session.get(Component, component_id)
    if component is None:
        raise NotFound(f"There is no component {component_id}.")
    return component


def get_group(group_id: int) -> ComponentGroup:
    """The group with this id, or NotFound."""
    group = db.session.get(ComponentGroup, group_id)
    if group is None:
        raise NotFound(f"There is no group {group_id}.")
    return group


def list_groups() -> list[ComponentGroup]:
    """Every group in display order."""
    return list(
        db.session.scalars(
            sa.select(ComponentGroup).order_by(ComponentGroup.position, ComponentGroup.id)
        )
    )


def edit_component(
    component: Component,
    *,
    name: str,
    description: str | None,
    group: ComponentGroup | None,
    visibility: Visibility,
    now: datetime,
) -> Component:
    """Rename, describe, regroup or change the visibility of a component."""
    name = clean_text(name, field="name", max_length=NAME_LENGTH)
    clash = db.session.scalar(
        sa.select(Component.id).where(Component.name == name, Component.id != component.id)
    )
    if clash:
        raise ValidationError(f"A component named {name!r} already exists.", field="name")
    was_public = component.is_public
    if (group.id if group else None) != component.group_id:
        component.group = group
        component.position = _last_position(group) + 1
    component.name = name
    component.description = clean_optional_text(
        description, field="description", max_length=DESCRIPTION_LENGTH, multiline=True
    )
    component.visibility = Visibility(visibility)
    component.updated_at = now
    if was_public or component.is_public:
        bump_publication(now=now)
    return component


def edit_group(
    group: ComponentGroup,
    *,
    name: str,
    description: str | None,
    visibility: Visibility,
    now: datetime,
) -> ComponentGroup:
    """Rename, describe or change the visibility of a group."""
    name = clean_text(name, field="name", max_length=NAME_LENGTH)
    clash = db.session.scalar(
        sa.select(ComponentGroup.id).where(
            ComponentGroup.name == name, ComponentGroup.id != group.id
        )
    )
    if clash:
        raise ValidationError(f"A group named {name!r} already exists.", field="name")
    group.name = name
    group.description = clean_optional_text(
        description, field="description", max_length=DESCRIPTION_LENGTH, multiline=True
    )
    group.visibility = Visibility(visibility)
    group.updated_at = now
    bump_publication(now=now)
    return group


def move(item: Component | ComponentGroup, offset: int, *, now: datetime) -> None:
    """Swap the component (within its group) or group with its neighbour up (-1) or down (+1)."""
    if isinstance(item, Component):
        siblings = list(
            db.session.scalars(
                sa.select(Component)
                .where(
                    Component.group_id.is_(None)
                    if item.group_id is None
                    else Component.group_id == item.group_id
                )
                .order_by(Component.position, Component.id)
            )
        )
    else:
        siblings = list_groups()
    index = siblings.index(item)
    other = index + offset
    if offset not in (-1, 1) or not 0 <= other < len(siblings):
        raise ValidationError("It cannot move further that way.")
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    bump_publication(now=now)


def _last_position(group: ComponentGroup | None) -> int:
    same_group = Component.group_id.is_(None) if group is None else Component.group_id == group.id
    return db.session.scalar(sa.select(sa.func.max(Component.position)).where(same_group)) or 0
