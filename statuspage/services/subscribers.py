"""Subscribers as the console reads them: the list and its filter, and counts of who receives
each audience's updates (by channel, and whether they narrowed what they receive)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.extensions import db
from statuspage.models import Audience, Component, Subscriber, SubscriberKind, subscriber_component


@dataclass(frozen=True)
class SubscriberFilter:
    """What the console's list is narrowed to; empty fields narrow nothing."""

    query: str = ""
    audience_id: int | None = None
    kind: SubscriberKind | None = None


def find_subscribers(
    where: SubscriberFilter, *, limit: int | None = None, offset: int = 0
) -> tuple[list[Subscriber], int]:
    """Subscribers matching the filter, newest first, and how many match in all."""
    conditions = []
    if where.query:
        conditions.append(
            sa.or_(
                Subscriber.address.ilike(f"%{_escape_like(where.query)}%", escape="\\"),
                Subscriber.name.ilike(f"%{_escape_like(where.query)}%", escape="\\"),
            )
        )
    if where.audience_id is not None:
        conditions.append(Subscriber.audience_id == where.audience_id)
    if where.kind is not None:
        conditions.append(Subscriber.kind == where.kind)
    total = db.session.scalar(sa.select(sa.func.count(Subscriber.id)).where(*conditions)) or 0
    rows = db.session.scalars(
        sa.select(Subscriber)
        .where(*conditions)
        .options(selectinload(Subscriber.components), selectinload(Subscriber.audience))
        .order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


_RECEIVING = (
    Subscriber.confirmed_at.is_not(None),
    Subscriber.is_active.is_(True),
    Subscriber.unsubscribed_at.is_(None),
    Subscriber.ended_at.is_(None),
)


@dataclass(frozen=True)
class Counts:
    """Receiving subscribers per audience (email and webhook) and per chosen component."""

    per_audience: list[tuple[Audience, int, int]]  # audience, emails, webhooks
    per_component: list[tuple[Component, int]]  # subscribers that chose the component
    everything: int  # receiving subscribers that chose no component (they get all)


def count_subscribers() -> Counts:
    """How many receiving subscribers each audience and each component has."""
    by_audience = {
        (audience_id, kind): count
        for audience_id, kind, count in db.session.execute(
            sa.select(Subscriber.audience_id, Subscriber.kind, sa.func.count(Subscriber.id))
            .where(*_RECEIVING)
            .group_by(Subscriber.audience_id, Subscriber.kind)
        )
    }
    audiences = db.session.scalars(sa.select(Audience).order_by(Audience.position)).all()
    by_component = dict(
        db.session.execute(
            sa.select(subscriber_component.c.component_id, sa.func.count())
            .join(Subscriber, Subscriber.id == subscriber_component.c.subscriber_id)
            .where(*_RECEIVING)
            .group_by(subscriber_component.c.component_id)
        ).all()
    )
    chose_any = sa.select(subscriber_component.c.subscriber_id).where(
        subscriber_component.c.subscriber_id == Subscriber.id
    )
    everything = db.session.scalar(
        sa.select(sa.func.count(Subscriber.id)).where(
            *_RECEIVING, ~chose_any.exists(), Subscriber.incident_id.is_(None)
        )
    )
    components = db.session.scalars(
        sa.select(Component).where(Component.id.in_(by_component)).order_by(Component.name)
    ).all()
    return Counts(
        per_audience=[
            (
                audience,
                by_audience.get((audience.id, SubscriberKind.EMAIL), 0),
                by_audience.get((audience.id, SubscriberKind.WEBHOOK), 0),
            )
            for audience in audiences
        ],
        per_component=[(component, by_component[component.id]) for component in components],
        everything=everything or 0,
    )


@dataclass
class Recipients:
    """Who receives an audience's updates now, by channel; `*_some` of them chose components and
    receive only updates about those."""

    emails: int = 0
    webhooks: int = 0
    emails_some: int = 0
    webhooks_some: int = 0

    @property
    def nobody(self) -> bool:
        return self.emails + self.webhooks == 0


def recipients_by_audience() -> dict[int, Recipients]:
    """Receiving subscribers of each audience by channel, in one query (audiences without any
    are absent: ask with `.get(audience_id, Recipients())`)."""
    # Following one incident narrows what a subscriber receives as much as choosing components.
    chose = sa.or_(
        sa.exists().where(subscriber_component.c.subscriber_id == Subscriber.id),
        Subscriber.incident_id.is_not(None),
    ).label("chose_components")
    rows = db.session.execute(
        sa.select(Subscriber.audience_id, Subscriber.kind, chose, sa.func.count(Subscriber.id))
        .where(*_RECEIVING)
        .group_by(Subscriber.audience_id, Subscriber.kind, chose)
    )
    counts: dict[int, Recipients] = {}
    for audience_id, kind, some, count in rows:
        recipients = counts.setdefault(audience_id, Recipients())
        channel = "emails" if kind is SubscriberKind.EMAIL else "webhooks"
        setattr(recipients, channel, getattr(recipients, channel) + count)
        if some:
            setattr(recipients, channel + "_some", count)
    return counts


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
