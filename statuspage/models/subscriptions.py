"""Subscribers (email addresses and webhooks) and the outbox of deliveries to them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.clock import utcnow
from statuspage.extensions import db
from statuspage.models.audiences import Audience
from statuspage.models.components import Component
from statuspage.models.enums import DeliveryState, SubscriberKind

subscriber_component = sa.Table(
    "subscriber_component",
    db.metadata,
    sa.Column(
        "subscriber_id",
        sa.ForeignKey("subscriber.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "component_id",
        sa.ForeignKey("component.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Subscriber(db.Model):
    """Someone (an address) or something (a webhook URL) that receives an audience's updates."""

    __tablename__ = "subscriber"
    __table_args__ = (sa.UniqueConstraint("audience_id", "kind", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audience_id: Mapped[int] = mapped_column(sa.ForeignKey("audience.id", ondelete="CASCADE"))
    kind: Mapped[SubscriberKind]
    address: Mapped[str] = mapped_column(sa.String(2048))  # email address or webhook URL
    signing_secret: Mapped[str | None] = mapped_column(sa.String(128))  # webhooks only
    confirmed_at: Mapped[datetime | None]  # double opt-in; None until confirmed
    is_active: Mapped[bool] = mapped_column(default=True)
    failing_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    audience: Mapped[Audience] = relationship()
    # Empty means every component.
    components: Mapped[list[Component]] = relationship(secondary=subscriber_component)


class Delivery(db.Model):
    """One notification of one update to one subscriber; written with the update, sent later."""

    __tablename__ = "delivery"
    __table_args__ = (
        sa.UniqueConstraint("update_id", "subscriber_id"),
        sa.Index("ix_delivery_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(sa.ForeignKey("incident_update.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[DeliveryState] = mapped_column(default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    subscriber: Mapped[Subscriber] = relationship()
