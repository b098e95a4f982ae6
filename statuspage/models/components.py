"""Components, their groups, and the history of every component status change."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models.enums import ComponentStatus, Visibility


class ComponentGroup(db.Model):
    __tablename__ = "component_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(default=1)
    visibility: Mapped[Visibility] = mapped_column(default=Visibility.PUBLIC)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    components: Mapped[list[Component]] = relationship(
        back_populates="group", order_by="Component.position"
    )

    @property
    def is_public(self) -> bool:
        return self.visibility is Visibility.PUBLIC


class Component(db.Model):
    __tablename__ = "component"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("component_group.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(default=1)
    visibility: Mapped[Visibility] = mapped_column(default=Visibility.PUBLIC)
    # A status an admin (or an automation) set by hand: it stands, whatever the incidents say,
    # until it is cleared. Otherwise the status is derived from the incidents' and maintenance
    # windows' own impacts (services.components.effective_statuses); no other copy is kept.
    manual_status: Mapped[ComponentStatus | None]
    # The availability promised in contracts, in percent of each month (e.g. 99.9): what the
    # SLA exposure counts downtime against (services.incidents.exposure). None: no target.
    availability_target: Mapped[float | None] = mapped_column(sa.Float)
    showcase: Mapped[bool] = mapped_column(default=True)
    only_show_if_degraded: Mapped[bool] = mapped_column(default=False)
    start_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    group: Mapped[ComponentGroup | None] = relationship(back_populates="components")

    @property
    def is_public(self) -> bool:
        """Public only if it and its group (if any) are public."""
        group_public = self.group is None or self.group.is_public
        return self.visibility is Visibility.PUBLIC and group_public

    def __repr__(self) -> str:
        return f"<Component {self.id} {self.name}>"


class ComponentStatusChange(db.Model):
    """The component's public status became `status` at `changed_at`: the uptime bars' record.

    `incident_id` names the publication that moved it (none for a manual status), and `snapshot`
    holds what component webhooks say about the change, frozen when it happened.
    """

    __tablename__ = "component_status_change"
    __table_args__ = (
        sa.Index("ix_component_status_change_component_at", "component_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(sa.ForeignKey("component.id", ondelete="CASCADE"))
    old_status: Mapped[ComponentStatus | None]
    status: Mapped[ComponentStatus]
    changed_at: Mapped[datetime]
    incident_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("incident.id", ondelete="SET NULL"), index=True
    )
    snapshot: Mapped[dict[str, Any] | None]
