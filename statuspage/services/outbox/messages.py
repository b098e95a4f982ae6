"""What each outbox row says: the email (text + HTML) or the signed webhook's JSON payload.

Built when the row is sent, from the published update or component change it points at; the
update's own time and status are used throughout, so a retry sends the same content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from statuspage.core.addresses import (
    CONFIRM_PATH,
    MANAGE_PATH,
    UNSUBSCRIBE_PATH,
    incident_path,
    internal_path,
)
from statuspage.core.markdown import markdown_to_html
from statuspage.core.site import Site
from statuspage.core.times import api_timestamp, describe_next_update, format_datetime
from statuspage.core.tokens import SubscriptionTokens
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentStatusChange,
    Delivery,
    DeliveryKind,
    Incident,
    Subscriber,
    Update,
    UpdateState,
)
from statuspage.services.outbox.mailer import Email, render
from statuspage.services.public.api import group_id, page_id

ONE_CLICK = "List-Unsubscribe=One-Click"


@dataclass(frozen=True)
class Links:
    """The links a subscriber's messages carry."""

    manage: str
    unsubscribe: str


def links_for(subscriber: Subscriber, site: Site, tokens: SubscriptionTokens) -> Links:
    """Manage and one-click unsubscribe links of a subscriber."""
    token = tokens.manage(subscriber.id, subscriber.token_key)
    return Links(
        manage=site.url + MANAGE_PATH + token, unsubscribe=site.url + UNSUBSCRIBE_PATH + token
    )


def incident_url(incident: Incident, *, public: bool, site: Site) -> str:
    """Where a reader follows the incident: its public page, or the internal page for staff."""
    return site.url + (incident_path(incident.id) if public else internal_path())


@dataclass(frozen=True)
class UpdateContent:
    """What every subscriber of one update is told, built once per update and batch."""

    update: Update
    email_context: dict[str, Any]
    incident: dict[str, Any]  # the webhook payload's incident object

    @classmethod
    def of(cls, update: Update, site: Site, *, now: datetime) -> UpdateContent:
        public = update.audience.is_public
        incident = update.incident
        return cls(
            update=update,
            email_context={
                "page_name": site.name,
                "page_url": site.url,
                "title": update.title,
                "incident_name": incident.public_name if public else incident.title,
                "status_label": update.status.label,
                "published_at": format_datetime(_published_at(update), site.zone, now=now),
                "body_text": update.body,
                "body_html": markdown_to_html(update.body),
                "next_update": (
                    describe_next_update(update.next_update_due_at, site.zone)
                    if update.next_update_due_at
                    else None
                ),
                "incident_url": incident_url(incident, public=public, site=site),
                "audience_name": update.audience.name,
            },
            incident=_incident_object(update, site),
        )


def update_email(
    delivery: Delivery, content: UpdateContent, *, site: Site, tokens: SubscriptionTokens
) -> Email:
    """The email telling a subscriber about a published update."""
    subscriber = _subscriber(delivery)
    links = links_for(subscriber, site, tokens)
    context = {
        **content.email_context,
        "manage_url": links.manage,
        "unsubscribe_url": links.unsubscribe,
    }
    text, html = render("incident_update", context)
    return Email(
        recipient=subscriber.address,
        recipient_name=subscriber.name,
        subject=content.update.title,
        text=text,
        html=html,
        message_id=_message_id(delivery),
        headers=_list_headers(links),
    )


def subscription_email(
    delivery: Delivery, *, site: Site, tokens: SubscriptionTokens, confirm_hours: int
) -> Email:
    """The confirmation link, or the note that the address is already subscribed."""
    subscriber = _subscriber(delivery)
    links = links_for(subscriber, site, tokens)
    context: dict[str, Any] = {
        "page_name": site.name,
        "page_url": site.url,
        "manage_url": links.manage,
        "confirm_hours": confirm_hours,
    }
    if delivery.kind is DeliveryKind.CONFIRM_SUBSCRIPTION:
        token = tokens.confirmation(subscriber.id, subscriber.confirm_nonce or "")
        context["confirm_url"] = site.url + CONFIRM_PATH + token
        name, subject, headers = (
            "confirm_subscription",
            f"Confirm your subscription to {site.name}",
            {},
        )
    else:
        name, subject = "manage_subscription", f"Your subscription to {site.name}"
        headers = _list_headers(links)
    text, html = render(name, context)
    return Email(
        recipient=subscriber.address,
        recipient_name=subscriber.name,
        subject=subject,
        text=text,
        html=html,
        message_id=_message_id(delivery),
        headers=headers,
    )


def stored_email(delivery: Delivery, *, site: Site) -> Email:
    """An email whose subject and text were stored with it (reminders, escalations)."""
    payload = delivery.payload or {}
    context = {
        "page_name": site.name,
        "page_url": site.url,
        "subject": payload["subject"],
        "text": payload["text"],
        "link": payload.get("link"),
    }
    text, html = render("message", context)
    return Email(
        recipient=delivery.recipient,
        recipient_name=payload.get("name"),
        subject=payload["subject"],
        text=text,
        html=html,
        message_id=_message_id(delivery),
    )


def update_payload(
    delivery: Delivery, content: UpdateContent, *, site: Site, tokens: SubscriptionTokens
) -> dict[str, Any]:
    """Statuspage's incident webhook body, with our extra keys (audience, next_update_at)."""
    return {
        "meta": _meta(_subscriber(delivery), site, tokens),
        "page": page_object(site),
        "incident": content.incident,
    }


def _incident_object(update: Update, site: Site) -> dict[str, Any]:
    incident = update.incident
    public = update.audience.is_public
    published_at = _published_at(update)
    earlier = db.session.scalars(
        sa.select(Update)
        .where(
            Update.incident_id == incident.id,
            Update.audience_id == update.audience_id,
            Update.state == UpdateState.PUBLISHED,
            Update.published_at <= published_at,
        )
        .order_by(Update.published_at.desc(), Update.id.desc())
    ).all()
    components = [
        link.component for link in incident.components if link.component.is_public or not public
    ]
    return {
        "id": str(incident.id),
        "name": incident.public_name if public else incident.title,
        "status": str(update.status),
        "impact": str(incident.impact),
        "created_at": api_timestamp(incident.created_at, site.zone),
        "updated_at": api_timestamp(published_at, site.zone),
        "started_at": api_timestamp(incident.started_at, site.zone),
        "monitoring_at": api_timestamp(incident.monitoring_at, site.zone),
        "resolved_at": api_timestamp(incident.resolved_at, site.zone),
        "shortlink": incident_url(incident, public=public, site=site),
        "page_id": page_id(site),
        "incident_updates": [_update_object(item, site) for item in earlier],
        "components": [component_object(c, site) for c in components],
        "reminder_intervals": None,
        "audience": update.audience.slug,
        "next_update_at": api_timestamp(update.next_update_due_at, site.zone),
    }


def component_payload(
    delivery: Delivery, change: ComponentStatusChange, *, site: Site, tokens: SubscriptionTokens
) -> dict[str, Any]:
    """Statuspage's component webhook body, with the incident that caused it (if any)."""
    component = db.session.get_one(Component, change.component_id)
    return {
        "meta": _meta(_subscriber(delivery), site, tokens),
        "page": page_object(site),
        "component_update": {
            "id": str(change.id),
            "component_id": str(component.id),
            "created_at": api_timestamp(change.changed_at, site.zone),
            "old_status": str(change.old_status) if change.old_status else None,
            "new_status": str(change.status),
            "incident_id": str(change.incident_id) if change.incident_id else None,
        },
        "component": component_object(component, site),
    }


def page_object(site: Site) -> dict[str, Any]:
    return {"id": page_id(site), "name": site.name, "url": site.url, "time_zone": site.zone}


def component_object(component: Component, site: Site) -> dict[str, Any]:
    """A component in Statuspage's shape."""
    return {
        "id": str(component.id),
        "name": component.name,
        "status": str(component.status),
        "created_at": api_timestamp(component.created_at, site.zone),
        "updated_at": api_timestamp(component.updated_at, site.zone),
        "position": component.position,
        "description": component.description,
        "showcase": component.showcase,
        "start_date": component.start_date.isoformat() if component.start_date else None,
        "group_id": group_id(component.group_id) if component.group_id else None,
        "page_id": page_id(site),
        "group": False,
        "only_show_if_degraded": component.only_show_if_degraded,
    }


def _update_object(update: Update, site: Site) -> dict[str, Any]:
    published_at = api_timestamp(_published_at(update), site.zone)
    return {
        "id": str(update.id),
        "incident_id": str(update.incident_id),
        "status": str(update.status),
        "body": update.body,
        "created_at": published_at,
        "updated_at": published_at,
        "display_at": published_at,
        "affected_components": update.affected_components,
        "deliver_notifications": update.deliver_notifications,
        "custom_tweet": None,
        "tweet_id": None,
        "next_update_at": api_timestamp(update.next_update_due_at, site.zone),
    }


def _meta(subscriber: Subscriber, site: Site, tokens: SubscriptionTokens) -> dict[str, Any]:
    return {"unsubscribe": links_for(subscriber, site, tokens).unsubscribe}


def _list_headers(links: Links) -> dict[str, str]:
    # RFC 8058: a POST to this URL with ONE_CLICK as its body unsubscribes without a page.
    return {"List-Unsubscribe": f"<{links.unsubscribe}>", "List-Unsubscribe-Post": ONE_CLICK}


def _message_id(delivery: Delivery) -> str:
    return f"{delivery.idempotency_key}.delivery"


def _published_at(update: Update) -> datetime:
    return update.published_at or update.created_at


def _subscriber(delivery: Delivery) -> Subscriber:
    if delivery.subscriber is None:
        raise ValueError(f"delivery {delivery.id} has no subscriber")
    return delivery.subscriber
