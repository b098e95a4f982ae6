"""Where the outbox stands, for the console: deliveries per update and per subscriber, the ones
that fail, and sending failed ones again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.extensions import db
from statuspage.models import Delivery, DeliveryState, Subscriber, Update, User
from statuspage.services.records import record_audit


def retry(deliveries: Sequence[Delivery], *, by: User, now: datetime) -> int:
    """Send failed or cancelled deliveries again now, with a fresh set of attempts."""
    count = 0
    for delivery in deliveries:
        if delivery.state is DeliveryState.SENT or delivery.state is DeliveryState.PENDING:
            continue
        delivery.state = DeliveryState.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = now
        count += 1
    if count:
        record_audit(by, "deliveries.retried", "delivery", None, now=now, details={"count": count})
    return count


def get_deliveries(ids: Sequence[int]) -> list[Delivery]:
    """The deliveries with these ids."""
    return list(db.session.scalars(sa.select(Delivery).where(Delivery.id.in_(ids))))


def undelivered(update_id: int) -> list[Delivery]:
    """The update's deliveries that failed or were cancelled."""
    return list(
        db.session.scalars(
            sa.select(Delivery).where(
                Delivery.update_id == update_id,
                Delivery.state.in_([DeliveryState.FAILED, DeliveryState.CANCELLED]),
            )
        )
    )


@dataclass(frozen=True)
class UpdateDeliveries:
    """Delivery counts for one published update."""

    update: Update
    counts: dict[DeliveryState, int]


def status_per_update(*, limit: int = 50) -> list[UpdateDeliveries]:
    """The latest published updates that have deliveries, with counts per state."""
    rows = db.session.execute(
        sa.select(Delivery.update_id, Delivery.state, sa.func.count(Delivery.id))
        .where(Delivery.update_id.in_(_latest_updates_with_deliveries(limit)))
        .group_by(Delivery.update_id, Delivery.state)
    ).all()
    counts: dict[int, dict[DeliveryState, int]] = {}
    for update_id, state, count in rows:
        counts.setdefault(update_id, {s: 0 for s in DeliveryState})[state] = count
    updates = db.session.scalars(
        sa.select(Update)
        .where(Update.id.in_(counts))
        .options(selectinload(Update.incident), selectinload(Update.audience))
        .order_by(Update.published_at.desc(), Update.id.desc())
    ).all()
    return [UpdateDeliveries(update, counts[update.id]) for update in updates]


def deliveries_of_update(update_id: int, *, limit: int = 500) -> list[Delivery]:
    """An update's deliveries, failed first, then pending, then the rest."""
    order = sa.case(
        (Delivery.state == DeliveryState.FAILED, 0),
        (Delivery.state == DeliveryState.PENDING, 1),
        else_=2,
    )
    return list(
        db.session.scalars(
            sa.select(Delivery)
            .where(Delivery.update_id == update_id)
            .order_by(order, Delivery.id)
            .limit(limit)
        )
    )


def recent_problems(*, limit: int = 50) -> list[Delivery]:
    """Deliveries of any kind that failed or are being retried, newest first."""
    return list(
        db.session.scalars(
            sa.select(Delivery)
            .where(
                sa.or_(
                    Delivery.state == DeliveryState.FAILED,
                    sa.and_(
                        Delivery.state == DeliveryState.PENDING, Delivery.last_error.is_not(None)
                    ),
                )
            )
            .order_by(Delivery.id.desc())
            .limit(limit)
        )
    )


def _latest_updates_with_deliveries(limit: int) -> sa.Select[tuple[int]]:
    latest = (
        sa.select(Delivery.update_id)
        .where(Delivery.update_id.is_not(None))
        .group_by(Delivery.update_id)
        .order_by(Delivery.update_id.desc())
        .limit(limit)
    )
    return sa.select(latest.subquery().c.update_id)


def recent_deliveries(subscriber: Subscriber, *, limit: int = 50) -> list[Delivery]:
    """The subscriber's latest deliveries, newest first."""
    return list(
        db.session.scalars(
            sa.select(Delivery)
            .where(Delivery.subscriber_id == subscriber.id)
            .order_by(Delivery.id.desc())
            .limit(limit)
        )
    )
