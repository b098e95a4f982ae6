"""What each outbox row says: the email (text + HTML), the signed webhook's JSON payload, or the
chat message (laid out by outbox.chat).

What an update or a component change tells is frozen when it is published (`freeze_update`,
`freeze_component_change`, called in the publishing transaction): the webhook's objects in
Statuspage's documented shape, the page's status then, the email's text. A row sent later, or
again, adds only what belongs to its subscriber (the unsubscribe link), so a retry sends the
same bytes whatever happened to the incident since.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from markupsafe import escape

from statuspage.core.addresses import (
    CONFIRM_PATH,
    MANAGE_PATH,
    UNSUBSCRIBE_PATH,
    incident_path,
    internal_path,
    webhook_documentation_path,
)
from statuspage.core.language import current_language, in_page_language, page_language
from statuspage.core.markdown import markdown_to_html
from statuspage.core.site import Site
from statuspage.core.times import api_timestamp, describe_next_update, format_datetime
from statuspage.core.tokens import SubscriptionTokens
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentStatus,
    ComponentStatusChange,
    Delivery,
    DeliveryKind,
    Incident,
    IncidentStatus,
    Subscriber,
    SubscriberKind,
    Update,
    UpdateState,
)
from statuspage.services import public
from statuspage.services.incidents import impacts
from statuspage.services.outbox import chat
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


def subject_for(status: IncidentStatus, name: str) -> str:
    """An email's subject about an incident or a maintenance window: its status in brackets, then
    its name ("[Resolved] Card payments failing", "[In progress] Database upgrade"). The one
    place subjects about incidents are worded: every email about one calls it."""
    return gettext("[%(status)s] %(name)s", status=IncidentStatus(status).label, name=name)


@in_page_language
def freeze_update(update: Update, *, site: Site) -> None:
    """Render what the update's subscribers are told (in the page's language), once, as it is
    published."""
    public = update.audience.is_public
    incident = update.incident
    published_at = _published_at(update)
    name = incident.public_name if public else incident.title
    closed = IncidentStatus(update.status).is_closed
    update.message = {
        "generated_at": api_timestamp(published_at, site.zone),
        "page": page_object(site),
        "incident": _incident_object(update, site),
        "email": {
            "page_name": site.name,
            "page_url": site.url,
            "title": update.title,
            "subject": subject_for(update.status, (update.title or name) if public else name),
            "incident_name": name,
            "status_label": update.status.label,
            "published_at": format_datetime(published_at, site.zone, now=published_at),
            "body_text": update.body,
            "components": _affected(incident, public=public),
            # A closed incident promises nothing more.
            "next_update": (
                describe_next_update(update.next_update_due_at, site.zone)
                if update.next_update_due_at and not closed
                else None
            ),
            "incident_url": incident_url(incident, public=public, site=site),
            "audience_name": update.audience.name,
        },
    }


def _affected(incident: Incident, *, public: bool) -> list[dict[str, str]]:
    """The incident's components with the impact this audience was told (the public: as of the
    update being published, which has just told it)."""
    affected = []
    for link in incident.components:
        if public and not link.component.is_public:
            continue
        status = (link.public_status or link.status) if public else link.status
        affected.append({"name": link.component.name, "impact": ComponentStatus(status).label})
    return affected


def freeze_component_change(change: ComponentStatusChange, *, site: Site) -> None:
    """Render what component webhooks say about a change of a public status, as it happens."""
    component = db.session.get_one(Component, change.component_id)
    change.snapshot = {
        "generated_at": api_timestamp(change.changed_at, site.zone),
        "page": page_object(site),
        "component_update": {
            "created_at": api_timestamp(change.changed_at, site.zone),
            "new_status": str(change.status),
            "old_status": str(change.old_status or ComponentStatus.OPERATIONAL),
            "id": str(change.id),
            "component_id": str(component.id),
            "component_type": "Component",
            "incident_id": str(change.incident_id) if change.incident_id else None,
        },
        "component": component_object(component, change.status, site),
    }


def _frozen_update(update: Update, site: Site) -> dict[str, Any]:
    # Rows queued before messages were frozen at publication are frozen at their first send.
    if update.message is None:
        freeze_update(update, site=site)
    return update.message or {}


def update_email(
    delivery: Delivery, update: Update, *, site: Site, tokens: SubscriptionTokens
) -> Email:
    """The email telling a subscriber about a published update: rendered once for all its
    subscribers, with each one's own links filled in."""
    subscriber = _subscriber(delivery)
    links = links_for(subscriber, site, tokens)
    frozen = _frozen_update(update, site)["email"]
    with page_language():
        subject, text, html = _update_bodies(json.dumps(frozen, sort_keys=True), current_language())
    return Email(
        recipient=subscriber.address,
        recipient_name=subscriber.name,
        subject=subject,
        text=text.replace(_MANAGE, links.manage).replace(_UNSUBSCRIBE, links.unsubscribe),
        html=html.replace(_MANAGE, escape(links.manage)).replace(
            _UNSUBSCRIBE, escape(links.unsubscribe)
        ),
        message_id=_message_id(delivery),
        headers=_list_headers(subscriber, links),
    )


# Stand-ins for a subscriber's own links in the text rendered once for every subscriber (private
# use characters: nothing a template or a liaison writes contains them).
_MANAGE = "\ue000manage\ue000"
_UNSUBSCRIBE = "\ue000unsubscribe\ue000"


@functools.lru_cache(maxsize=32)
def _update_bodies(frozen_json: str, language: str) -> tuple[str, str, str]:
    """(subject, text, html) of an update's email, its subscriber's links left as stand-ins, in
    the language given (part of the cache's key: the words around the frozen ones follow it)."""
    frozen = json.loads(frozen_json)
    context = {
        **frozen,
        "body_html": markdown_to_html(frozen["body_text"]),
        "manage_url": _MANAGE,
        "unsubscribe_url": _UNSUBSCRIBE,
    }
    # Rows frozen before subjects and components were: their title, and no list.
    context.setdefault("components", [])
    context["subject"] = frozen.get("subject") or frozen["title"]
    text, html = render("incident_update", context)
    return context["subject"], text, html


@in_page_language
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
        "following": following(subscriber),
    }
    if delivery.kind is DeliveryKind.CONFIRM_SUBSCRIPTION:
        token = tokens.confirmation(subscriber.id, subscriber.confirm_nonce or "")
        context["confirm_url"] = site.url + CONFIRM_PATH + token
        name, subject, headers = (
            "confirm_subscription",
            gettext("Confirm your subscription to %(name)s", name=site.name),
            {},
        )
    else:
        name = "manage_subscription"
        subject = gettext("Your subscription to %(name)s", name=site.name)
        headers = _list_headers(subscriber, links)
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


def following(subscriber: Subscriber) -> str:
    """What the subscription is to, in words: "all components", the components chosen, or one
    incident ("this incident: Card payments failing")."""
    if subscriber.incident is not None:
        return gettext(
            "this incident only: %(name)s (until it is resolved)",
            name=subscriber.incident.public_name,
        )
    if subscriber.components:
        return ", ".join(component.name for component in subscriber.components)
    return gettext("all components")


def stored_email(
    delivery: Delivery, *, site: Site, tokens: SubscriptionTokens | None = None
) -> Email:
    """An email whose subject and text were stored with it (reminders, escalations); one to a
    subscriber (a maintenance reminder) carries their manage and unsubscribe links."""
    if delivery.subscriber is not None and tokens is not None:
        # A subscriber's (a maintenance reminder) is in the page's language, as it was worded.
        links = links_for(delivery.subscriber, site, tokens)
        with page_language():
            footer = "\n\n" + gettext("Manage your subscription: %(url)s", url=links.manage)
            footer += "\n" + gettext("Unsubscribe: %(url)s", url=links.unsubscribe)
            return _stored_email(delivery, site, footer, _list_headers(delivery.subscriber, links))
    return _stored_email(delivery, site, "", {})


def _stored_email(delivery: Delivery, site: Site, footer: str, headers: dict[str, str]) -> Email:
    payload = delivery.payload or {}
    body = payload["text"] + footer
    context = {
        "page_name": site.name,
        "page_url": site.url,
        "subject": payload["subject"],
        "text": body,
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
        headers=headers,
    )


def update_payload(
    delivery: Delivery, update: Update, *, site: Site, tokens: SubscriptionTokens
) -> dict[str, Any]:
    """Statuspage's incident webhook body, with our extra keys (audience, next_update_at)."""
    frozen = _frozen_update(update, site)
    return {
        "meta": _meta(_subscriber(delivery), frozen["generated_at"], site, tokens),
        "page": frozen["page"],
        "incident": frozen["incident"],
    }


def component_payload(
    delivery: Delivery, change: ComponentStatusChange, *, site: Site, tokens: SubscriptionTokens
) -> dict[str, Any]:
    """Statuspage's component webhook body, with the incident that caused it (if any)."""
    if change.snapshot is None:
        freeze_component_change(change, site=site)
    frozen = change.snapshot or {}
    return {
        "meta": _meta(_subscriber(delivery), frozen["generated_at"], site, tokens),
        "page": frozen["page"],
        "component_update": frozen["component_update"],
        "component": frozen["component"],
    }


def chat_payload(
    delivery: Delivery, update: Update | None, *, site: Site, tokens: SubscriptionTokens
) -> dict[str, Any]:
    """A Slack or Teams message: an update's frozen content, the "you are subscribed" message,
    or a stored subject and text; public subscribers' messages carry their manage link."""
    channel = SubscriberKind(delivery.channel)
    subscriber = delivery.subscriber
    manage = (
        links_for(subscriber, site, tokens).manage
        if subscriber is not None and not subscriber.managed_by_admins
        else None
    )
    if delivery.kind is DeliveryKind.INCIDENT_UPDATE and update is not None:
        frozen = _frozen_update(update, site)["email"]
        return chat.update_message(channel, frozen, manage_url=manage)
    if delivery.kind is DeliveryKind.MESSAGE:
        return chat.stored_message(
            channel, delivery.payload or {}, page_name=site.name, page_url=site.url
        )
    if subscriber is not None and delivery.kind is DeliveryKind.CONFIRM_SUBSCRIPTION:
        return chat.welcome_message(
            channel,
            page_name=site.name,
            page_url=site.url,
            following=following(subscriber),
            manage_url=links_for(subscriber, site, tokens).manage,
        )
    raise ValueError(f"a {delivery.kind} delivery cannot go to a chat channel")


def _incident_object(update: Update, site: Site) -> dict[str, Any]:
    """The incident as Statuspage's webhooks show it, as of this update, for its audience."""
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
    statuses = impacts.effective_statuses([c.id for c in components], public=public)
    zone = site.zone
    return {
        "backfilled": False,
        "created_at": api_timestamp(incident.created_at, zone),
        "impact": str(incident.public_impact if public else incident.impact),
        "impact_override": None,
        "monitoring_at": api_timestamp(incident.monitoring_at, zone),
        "postmortem_body": None,
        "postmortem_body_last_updated_at": None,
        "postmortem_ignored": False,
        "postmortem_notified_subscribers": False,
        "postmortem_notified_twitter": False,
        "postmortem_published_at": None,
        "resolved_at": api_timestamp(incident.resolved_at, zone),
        "scheduled_auto_transition": incident.is_maintenance,
        "scheduled_for": api_timestamp(incident.scheduled_for, zone),
        "scheduled_remind_prior": False,
        "scheduled_reminded_at": None,
        "scheduled_until": api_timestamp(incident.scheduled_until, zone),
        "shortlink": incident_url(incident, public=public, site=site),
        "status": str(update.status),
        "updated_at": api_timestamp(published_at, zone),
        "id": str(incident.id),
        "organization_id": page_id(site),
        # As the JSON API names it: the public title its newest update gave it.
        "name": (update.title or incident.public_name) if public else incident.title,
        "incident_updates": [_update_object(item, site) for item in earlier],
        # Our keys beside Statuspage's.
        "started_at": api_timestamp(incident.started_at, zone),
        "page_id": page_id(site),
        "components": [component_object(c, statuses[c.id], site) for c in components],
        "audience": update.audience.slug,
        "next_update_at": api_timestamp(update.next_update_due_at, zone),
    }


def page_object(site: Site) -> dict[str, Any]:
    """The page with its status (Statuspage's indicator) as the public sees it now."""
    status = public.page_status()
    return {
        "id": page_id(site),
        "status_indicator": status.indicator,
        "status_description": status.description,
        "name": site.name,
        "url": site.url,
        "time_zone": site.zone,
    }


def component_object(component: Component, status: ComponentStatus, site: Site) -> dict[str, Any]:
    """A component in Statuspage's shape, with the status it had when the message was made."""
    return {
        "id": str(component.id),
        "name": component.name,
        "status": str(status),
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
        "wants_twitter_update": False,
        "twitter_updated_at": None,
        "next_update_at": api_timestamp(update.next_update_due_at, site.zone),
    }


def _meta(
    subscriber: Subscriber, generated_at: str, site: Site, tokens: SubscriptionTokens
) -> dict[str, Any]:
    return {
        "unsubscribe": links_for(subscriber, site, tokens).unsubscribe,
        "documentation": site.url + webhook_documentation_path(),
        "generated_at": generated_at,
    }


def _list_headers(subscriber: Subscriber, links: Links) -> dict[str, str]:
    if subscriber.managed_by_admins:
        return {}  # nobody on the list may switch it off for the others (the link explains)
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
