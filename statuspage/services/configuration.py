"""What admins set up: components and groups, audiences with their message templates, cadence
policies and late notices, each change on the audit trail."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.core.errors import NotFound, ValidationError
from statuspage.core.site import Site, current_site
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    CadencePolicy,
    Component,
    ComponentGroup,
    ComponentStatus,
    IncidentStatus,
    MessageTemplate,
    RosterRole,
    Severity,
    User,
    Visibility,
)
from statuspage.services import components
from statuspage.services.cadence.paging import clean_routing_key
from statuspage.services.defaults import template_text
from statuspage.services.incidents.reminders import parse_reminder_hours
from statuspage.services.outbox import messages
from statuspage.services.public.version import bump_publication
from statuspage.services.records import record_audit
from statuspage.services.templating import check_late_notice, check_template
from statuspage.services.validation import clean_optional_text, clean_text

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
    manual_status: ComponentStatus | None = None,
    availability_target: float | None = None,
) -> Component:
    """Create a component (component=None) or change one, with a status set by hand (None: its
    status follows its incidents and maintenance); a status set by hand is public at once. The
    availability target (percent of each month) is what SLA exposure is counted against."""
    if availability_target is not None and not 50 <= availability_target < 100:
        raise ValidationError(
            "The availability target is a percentage of the month from 50 to below 100 "
            "(e.g. 99.9).",
            field="availability_target",
        )
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
    details: dict[str, str | None] = {"name": component.name}
    if availability_target != component.availability_target:
        details["availability_target"] = str(availability_target)
        component.availability_target = availability_target
    if manual_status is not component.manual_status:
        details["manual_status"] = str(manual_status) if manual_status else None
        change = components.set_component_status(component, manual_status, now=now)
        if change is not None:
            messages.freeze_component_change(change, site=current_site())
    record_audit(by, action, "component", component.id, now=now, details=details)
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


def list_audiences() -> list[Audience]:
    """Every audience in display order: by position, then in the order they were created."""
    return list(db.session.scalars(sa.select(Audience).order_by(Audience.position, Audience.id)))


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
    maintenance_reminders: str | None = None,
    by: User,
    now: datetime,
) -> Audience:
    """Create an audience with a template per status, or change one (None for the reminder
    hours keeps them, or the default for a new audience).

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
    if maintenance_reminders is not None:
        audience.maintenance_reminders = parse_reminder_hours(maintenance_reminders)
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


@dataclass(frozen=True)
class PolicySettings:
    """What an audience is owed at one severity, as an admin sets it."""

    update_interval: timedelta
    first_update_within: timedelta
    remind_before: timedelta
    escalate_after: timedelta
    requires_review: bool = False
    pagerduty_routing_key: str | None = None  # escalations also page PagerDuty with it


# Each setting's name in messages and the range it must fall in.
POLICY_LIMITS = {
    "update_interval": ("the update interval", timedelta(minutes=1), timedelta(days=7)),
    "first_update_within": ("the first-update deadline", timedelta(minutes=1), timedelta(days=7)),
    "remind_before": ("the reminder lead", timedelta(minutes=1), timedelta(days=1)),
    "escalate_after": ("the escalation grace", timedelta(0), timedelta(days=1)),
}
LATE_NOTICE_LENGTH = 2000


def cadence_policies() -> list[tuple[Audience, dict[Severity, CadencePolicy]]]:
    """Every audience in display order with its cadence policy per severity (none: owed nothing)."""
    audiences = db.session.scalars(sa.select(Audience).order_by(Audience.position, Audience.id))
    policies: dict[int, dict[Severity, CadencePolicy]] = {}
    for policy in db.session.scalars(sa.select(CadencePolicy)):
        policies.setdefault(policy.audience_id, {})[policy.severity] = policy
    return [(audience, policies.get(audience.id, {})) for audience in audiences]


def audience_policies(audience: Audience) -> dict[Severity, CadencePolicy]:
    """The audience's cadence policy per severity it is owed updates at."""
    return {
        policy.severity: policy
        for policy in db.session.scalars(
            sa.select(CadencePolicy).where(CadencePolicy.audience_id == audience.id)
        )
    }


def save_cadence(
    audience: Audience,
    *,
    policies: Mapping[Severity, PolicySettings | None],
    late_notice: str,
    site: Site,
    by: User,
    now: datetime,
) -> Audience:
    """Set the audience's policy per severity (None removes it) and its late notice, all or nothing.

    The late notice is saved only if it renders against the sample incident. Promises already
    made keep the times they were given; the new policy applies from the next one.
    """
    for severity, settings in policies.items():
        if settings is not None:
            _check_policy(severity, settings)
    notice = clean_text(
        late_notice, field="late notice", max_length=LATE_NOTICE_LENGTH, multiline=True
    )
    check_late_notice(notice, site=site)
    current = audience_policies(audience)
    for severity, settings in policies.items():
        _save_policy(audience, severity, current.get(severity), settings, by=by, now=now)
    if notice != audience.late_notice:
        record_audit(
            by,
            "audience.late_notice",
            "audience",
            audience.id,
            now=now,
            details={"before": audience.late_notice, "after": notice},
        )
        audience.late_notice = notice
        if audience.is_public:
            bump_publication(now=now)  # public pages showing it are cached by version
    return audience


def _check_policy(severity: Severity, settings: PolicySettings) -> None:
    clean_routing_key(settings.pagerduty_routing_key, label=str(severity))
    for name, (label, shortest, longest) in POLICY_LIMITS.items():
        value = getattr(settings, name)
        if not shortest <= value <= longest:
            raise ValidationError(
                f"{severity}: {label} must be between {_minutes(shortest)} and "
                f"{_minutes(longest)} minutes.",
                field=name,
            )


def _save_policy(
    audience: Audience,
    severity: Severity,
    policy: CadencePolicy | None,
    settings: PolicySettings | None,
    *,
    by: User,
    now: datetime,
) -> None:
    before = describe_policy(policy) if policy is not None else None
    if settings is None:
        if policy is None:
            return
        db.session.delete(policy)
        action, after = "cadence_policy.delete", None
    else:
        if policy is None:
            policy = CadencePolicy(audience_id=audience.id, severity=severity)
            db.session.add(policy)
        for name, value in asdict(settings).items():
            setattr(policy, name, value)
        policy.pagerduty_routing_key = clean_routing_key(
            settings.pagerduty_routing_key, label=str(severity)
        )
        db.session.flush()
        after = describe_policy(policy)
        if after == before:
            return
        action = "cadence_policy.create" if before is None else "cadence_policy.edit"
    details = {
        "audience": audience.slug,
        "severity": str(severity),
        "before": before,
        "after": after,
    }
    record_audit(by, action, "cadence_policy", policy.id, now=now, details=details)


def describe_policy(policy: CadencePolicy) -> dict[str, object]:
    """The policy's times in minutes, its review rule and its PagerDuty key's last characters
    (the key is a secret: the audit trail shows only that it changed), for the audit trail."""
    key = policy.pagerduty_routing_key
    return {
        **{name: _minutes(getattr(policy, name)) for name in POLICY_LIMITS},
        "requires_review": policy.requires_review,
        "pagerduty": f"…{key[-4:]}" if key else None,
    }


def _minutes(length: timedelta) -> int:
    return int(length.total_seconds() // 60)
