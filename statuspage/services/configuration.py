"""What admins set up: components and groups, audiences and their message templates, each change
on the audit trail."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa

from statuspage.errors import NotFound, ValidationError
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Component,
    ComponentGroup,
    IncidentStatus,
    MessageTemplate,
    RosterRole,
    User,
    Visibility,
)
from statuspage.services import components
from statuspage.services.defaults import template_text
from statuspage.services.records import record_audit
from statuspage.services.templating import check_template
from statuspage.services.validation import clean_optional_text, clean_text
from statuspage.site import Site

_SLUG = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


def save_component(
    component: Component | None,
    *,
    name: str,
    description: str | None,
    group: ComponentGroup | None,
    visibility: Visibility,
    by: User,
    now: datetime,
) -> Component:
    """Create a component (component=None) or change one."""
    if component is None:
        component = components.create_component(
            name, group=group, description=description, visibility=visibility, now=now
        )
        action = "component.create"
    else:
        components.edit_component(
            component,
            name=name,
            description=description,
            group=group,
            visibility=visibility,
            now=now,
        )
        action = "component.edit"
    record_audit(by, action, "component", component.id, now=now, details={"name": component.name})
    return component


def save_group(
    group: ComponentGroup | None,
    *,
    name: str,
    description: str | None,
    visibility: Visibility,
    by: User,
    now: datetime,
) -> ComponentGroup:
    """Create a group (group=None) or change one."""
    if group is None:
        group = components.create_group(
            name, description=description, visibility=visibility, now=now
        )
        action = "group.create"
    else:
        components.edit_group(
            group, name=name, description=description, visibility=visibility, now=now
        )
        action = "group.edit"
    record_audit(by, action, "group", group.id, now=now, details={"name": group.name})
    return group


def move(item: Component | ComponentGroup, offset: int, *, by: User, now: datetime) -> None:
    """Move a component or group one place up (-1) or down (+1)."""
    components.move(item, offset, now=now)
    kind = "component" if isinstance(item, Component) else "group"
    record_audit(by, f"{kind}.move", kind, item.id, now=now, details={"offset": offset})


def get_audience(audience_id: int) -> Audience:
    """The audience with this id, or NotFound."""
    audience = db.session.get(Audience, audience_id)
    if audience is None:
        raise NotFound(f"There is no audience {audience_id}.")
    return audience


def save_audience(
    audience: Audience | None,
    *,
    name: str,
    description: str | None,
    liaison_role: RosterRole,
    position: int,
    slug: str | None = None,
    is_public: bool = False,
    by: User,
    now: datetime,
) -> Audience:
    """Create an audience with a template per status, or change one.

    Whether an audience is public is fixed when it is created: turning an internal audience public
    would publish every update it was ever sent.
    """
    name = clean_text(name, field="name", max_length=80)
    description = clean_optional_text(
        description, field="description", max_length=2000, multiline=True
    )
    if liaison_role not in (RosterRole.CUSTOMER_LIAISON, RosterRole.INTERNAL_LIAISON):
        raise ValidationError("The liaison must be the customer or the internal liaison.")
    if audience is None:
        slug = (slug or "").strip().lower()
        if not _SLUG.match(slug):
            raise ValidationError(
                "The short name takes 2-40 lowercase letters, digits or dashes.", field="slug"
            )
        if db.session.scalar(sa.select(Audience.id).where(Audience.slug == slug)):
            raise ValidationError(f"There is already an audience {slug!r}.", field="slug")
        audience = Audience(slug=slug, is_public=is_public, created_at=now)
        db.session.add(audience)
        action = "audience.create"
    else:
        action = "audience.edit"
    audience.name, audience.description = name, description
    audience.liaison_role, audience.position = RosterRole(liaison_role), position
    db.session.flush()
    if action == "audience.create":
        for status in IncidentStatus:
            title, body = template_text(audience.slug, status)
            db.session.add(
                MessageTemplate(
                    audience_id=audience.id,
                    status=status,
                    title=title,
                    body=body,
                    updated_at=now,
                    updated_by_id=by.id,
                )
            )
    record_audit(by, action, "audience", audience.id, now=now, details={"name": name})
    return audience


def get_template(template_id: int) -> MessageTemplate:
    """The message template with this id, or NotFound."""
    template = db.session.get(MessageTemplate, template_id)
    if template is None:
        raise NotFound(f"There is no template {template_id}.")
    return template


def list_templates() -> list[MessageTemplate]:
    """Every template, by audience then status."""
    order = {status: index for index, status in enumerate(IncidentStatus)}
    templates = db.session.scalars(sa.select(MessageTemplate).join(MessageTemplate.audience)).all()
    return sorted(templates, key=lambda t: (t.audience.position, t.audience_id, order[t.status]))


def save_template(
    template: MessageTemplate, *, title: str, body: str, site: Site, by: User, now: datetime
) -> MessageTemplate:
    """Store new template sources, only if they render against a sample incident."""
    check_template(title, body, status=template.status, site=site)
    before = {"title": template.title, "body": template.body}
    template.title, template.body = title.strip(), body.strip()
    template.updated_at, template.updated_by_id = now, by.id
    record_audit(by, "template.edit", "template", template.id, now=now, details={"before": before})
    return template
