"""Subscribers (email addresses and webhooks) and the outbox of deliveries to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models.audiences import Audience
from statuspage.models.components import Component
from statuspage.models.enums import DeliveryKind, DeliveryState, SubscriberKind
from statuspage.models.incidents import Incident

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
    __table_args__ = (
        # One subscription to everything (or to chosen components) per address and audience, and
        # one more per incident the address follows alone: unique among its own kind.
        sa.Index(
            "uq_subscriber_audience_kind_address_everything",
            "audience_id",
            "kind",
            "address",
            unique=True,
            sqlite_where=sa.text("incident_id IS NULL"),
            postgresql_where=sa.text("incident_id IS NULL"),
        ),
        # Writing an update's deliveries walks the audience's subscribers to everything in id
        # order, a chunk at a time (services/outbox/enqueue.py).
        sa.Index(
            "ix_subscriber_audience_everything",
            "audience_id",
            "id",
            sqlite_where=sa.text("incident_id IS NULL"),
            postgresql_where=sa.text("incident_id IS NULL"),
        ),
        sa.Index(
            "uq_subscriber_incident_kind_address",
            "incident_id",
            "kind",
            "address",
            unique=True,
            sqlite_where=sa.text("incident_id IS NOT NULL"),
            postgresql_where=sa.text("incident_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    audience_id: Mapped[int] = mapped_column(sa.ForeignKey("audience.id", ondelete="CASCADE"))
    kind: Mapped[SubscriberKind]
    address: Mapped[str] = mapped_column(sa.String(2048))  # email address or webhook URL
    # Shown in the To: header of emails, or as the webhook's label in the console.
    name: Mapped[str | None] = mapped_column(sa.String(120))
    signing_secret: Mapped[str | None] = mapped_column(sa.String(128))  # webhooks only
    # Part of every manage/unsubscribe token: changing it voids the links in earlier emails.
    token_key: Mapped[str] = mapped_column(sa.String(32))
    # The confirmation link waiting to be used; cleared when used, so a link works once.
    confirm_nonce: Mapped[str | None] = mapped_column(sa.String(32))
    confirmed_at: Mapped[datetime | None]  # double opt-in; None until confirmed
    is_active: Mapped[bool] = mapped_column(default=True)
    unsubscribed_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The member of staff who subscribed their own address from their profile; None for a
    # public subscriber or an address an admin added (see managed_by_admins).
    owner_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )

    # Set for an email subscription to one incident's public updates only (from the incident's
    # public page); it ends (unsubscribed_at) once the update telling it resolved is queued.
    incident_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("incident.id", ondelete="CASCADE")
    )
    # When the followed incident's resolving update was queued: nothing later is queued for it.
    ended_at: Mapped[datetime | None]

    audience: Mapped[Audience] = relationship()
    incident: Mapped[Incident | None] = relationship()
    # Empty means every component.
    components: Mapped[list[Component]] = relationship(secondary=subscriber_component)

    @property
    def receives(self) -> bool:
        """Whether messages go to it now: confirmed, active and not unsubscribed."""
        return (
            self.confirmed_at is not None
            and self.is_active
            and self.unsubscribed_at is None
            and self.ended_at is None
        )

    @property
    def managed_by_admins(self) -> bool:
        """An internal audience's address an admin added (often a list): one reader's click in
        one email must not switch it off for everyone on it, so only the console does."""
        return not self.audience.is_public and self.owner_user_id is None


class Delivery(db.Model):
    """One message in the outbox: written in the transaction that causes it, sent by the worker.

    Update and component deliveries point at their subscriber; messages to people who are not
    subscribers (the cadence reminders) carry their own content in `payload`. `dedupe_key` makes
    each one once-only however often its producer runs.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        sa.Index("ix_delivery_state_next_attempt_at", "state", "next_attempt_at"),
        # A receiver's messages go out in order: claiming asks, per subscriber, whether an earlier
        # one is still pending (outbox.worker.claim_due); one index answers it whatever the table's
        # statistics say right after a large publication.
        sa.Index(
            "ix_delivery_subscriber_state_next_attempt_at",
            "subscriber_id",
            "state",
            "next_attempt_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DeliveryKind]
    channel: Mapped[SubscriberKind]
    recipient: Mapped[str] = mapped_column(sa.String(2048))  # address or URL when written
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    update_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("incident_update.id", ondelete="CASCADE"), index=True
    )
    component_change_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("component_status_change.id", ondelete="CASCADE")
    )
    subscriber_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("subscriber.id", ondelete="CASCADE")
    )
    payload: Mapped[dict[str, Any] | None]
    state: Mapped[DeliveryState] = mapped_column(default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    subscriber: Mapped[Subscriber | None] = relationship()

    @property
    def idempotency_key(self) -> str:
        """The same on every attempt, so a receiver can recognise a retry (Message-ID, header)."""
        return f"{self.id}.{int(self.created_at.timestamp())}"


class Fanout(db.Model):
    """An update's subscribers not yet written to the outbox. Publishing writes the deliveries of
    the first ones itself (so it stays quick however long the list); the outbox worker writes the
    rest a chunk at a time, in subscriber order after `after_subscriber_id`, and then deletes it."""

    __tablename__ = "fanout"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(
        sa.ForeignKey("incident_update.id", ondelete="CASCADE"), unique=True
    )
    after_subscriber_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
