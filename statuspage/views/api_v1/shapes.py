"""The management API's documents in Statuspage v1's shapes (ids as strings, ISO 8601 times in
the page's zone), with our additions as extra keys: each audience's updates and promises,
`next_update_at`, `awaiting_review`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from statuspage.core.site import current_site
from statuspage.core.times import api_timestamp
from statuspage.models import (
    Audience,
    Component,
    ComponentGroup,
    ComponentStatus,
    Incident,
    MessageTemplate,
    Promise,
    Subscriber,
    TimelineEvent,
    Update,
    UpdateState,
)
from statuspage.services.cadence import promises
from statuspage.services.incidents import impacts, publishing
from statuspage.services.public.api import page_id
from statuspage.services.subscriptions import subscriber_state

Document = dict[str, Any]


def _time(moment: Any) -> str | None:
    return api_timestamp(moment, current_site().zone)


def the_page_id() -> str:
    return page_id(current_site())


def page() -> Document:
    site = current_site()
    return {
        "id": the_page_id(),
        "name": site.name,
        "url": site.url,
        "time_zone": site.zone,
        "subdomain": None,
        "domain": None,
        "allow_page_subscribers": True,
        "allow_incident_subscribers": True,
        "allow_email_subscribers": True,
        "allow_sms_subscribers": False,
        "allow_rss_atom_feeds": True,
        "allow_webhook_subscribers": True,
    }


def component(item: Component, statuses: dict[int, ComponentStatus] | None = None) -> Document:
    status = (statuses or impacts.effective_statuses([item.id], public=False)).get(item.id)
    return {
        "id": str(item.id),
        "page_id": the_page_id(),
        "group_id": str(item.group_id) if item.group_id else None,
        "name": item.name,
        "description": item.description,
        "status": str(status or ComponentStatus.OPERATIONAL),
        "position": item.position,
        "showcase": item.showcase,
        "only_show_if_degraded": item.only_show_if_degraded,
        "start_date": item.start_date.isoformat() if item.start_date else None,
        "group": False,
        "automation_email": None,
        "created_at": _time(item.created_at),
        "updated_at": _time(item.updated_at),
        # Ours: whether the public sees it, and whether its status is set by hand.
        "visibility": str(item.visibility),
        "status_set_by_hand": item.manual_status is not None,
    }


def group(item: ComponentGroup) -> Document:
    return {
        "id": str(item.id),
        "page_id": the_page_id(),
        "name": item.name,
        "description": item.description,
        "position": item.position,
        "components": [str(c.id) for c in item.components],
        "created_at": _time(item.created_at),
        "updated_at": _time(item.updated_at),
        "visibility": str(item.visibility),
    }


def incident_update(update: Update) -> Document:
    at = _time(update.published_at or update.created_at)
    return {
        "id": str(update.id),
        "incident_id": str(update.incident_id),
        "status": str(update.status),
        "body": update.body,
        "created_at": _time(update.created_at),
        "updated_at": _time(update.updated_at),
        "display_at": at,
        "affected_components": update.affected_components,
        "deliver_notifications": update.deliver_notifications,
        "custom_tweet": None,
        "tweet_id": None,
        "wants_twitter_update": False,
        # Ours: to whom it went, and whether it is out or waiting for a second person.
        "audience": update.audience.slug,
        "state": str(update.state),
        "next_update_at": _time(update.next_update_due_at),
    }


@dataclass(frozen=True)
class _Facts:
    """What incident documents show beyond the incidents' rows, loaded for many at once."""

    updates: dict[int, list[Update]]  # published, newest first
    promises: dict[int, list[Promise]]  # open, soonest first
    statuses: dict[int, ComponentStatus]  # of every component they hold


def _facts(items: list[Incident]) -> _Facts:
    ids = [item.id for item in items]
    held = {link.component_id for item in items for link in item.components}
    return _Facts(
        updates=publishing.published_updates_by_incident(ids),
        promises=promises.open_promises_by_incident(ids),
        statuses=impacts.effective_statuses(held, public=False),
    )


def incidents(items: list[Incident]) -> list[Document]:
    """A list's documents, in the same few queries however long the list."""
    facts = _facts(items)
    return [_incident(item, facts) for item in items]


def incident(item: Incident, *, in_review: list[Update] | None = None) -> Document:
    document = _incident(item, _facts([item]))
    if in_review is not None:
        document["awaiting_review"] = [
            {"audience": u.audience.slug, "update_id": str(u.id)}
            for u in in_review
            if u.state is UpdateState.IN_REVIEW
        ]
    return document


def _incident(item: Incident, facts: _Facts) -> Document:
    updates = facts.updates[item.id]
    return {
        "id": str(item.id),
        "page_id": the_page_id(),
        "name": item.public_name,
        "status": str(item.status),
        "impact": str(item.impact),
        "impact_override": str(item.impact) if item.severity else None,
        "created_at": _time(item.created_at),
        "updated_at": _time(item.updated_at),
        "started_at": _time(item.started_at),
        "monitoring_at": _time(item.monitoring_at),
        "resolved_at": _time(item.resolved_at),
        "shortlink": None,
        "scheduled_for": _time(item.scheduled_for),
        "scheduled_until": _time(item.scheduled_until),
        "scheduled_remind_prior": item.is_maintenance,
        "scheduled_auto_in_progress": item.is_maintenance,
        "scheduled_auto_completed": item.is_maintenance,
        "metadata": {},
        "components": [component(link.component, facts.statuses) for link in item.components],
        "incident_updates": [incident_update(u) for u in updates if u.audience.is_public],
        **_postmortem(item),
        **_ours(item, updates, facts.promises[item.id]),
    }


def _postmortem(item: Incident) -> Document:
    postmortem = item.postmortem
    return {
        "postmortem_body": postmortem.body if postmortem else None,
        "postmortem_body_last_updated_at": _time(postmortem.updated_at) if postmortem else None,
        "postmortem_published_at": _time(postmortem.published_at) if postmortem else None,
    }


def _ours(item: Incident, updates: list[Update], waiting: list[Promise]) -> Document:
    """The working title and severity, every audience's updates, the open promises."""
    public_due = [p.due_at for p in waiting if p.audience.is_public]
    return {
        "title": item.title,
        "severity": str(item.severity) if item.severity else None,
        "updates": [incident_update(u) for u in updates],
        "promises": [
            {"audience_id": str(p.audience_id), "next_update_at": _time(p.due_at)} for p in waiting
        ],
        "next_update_at": _time(min(public_due) if public_due else None),
    }


def subscriber(item: Subscriber) -> Document:
    email = item.kind.value == "email"
    return {
        "id": str(item.id),
        "mode": "email" if email else "webhook",
        "email": item.address if email else None,
        "endpoint": None if email else item.address,
        "components": [str(c.id) for c in item.components],
        "created_at": _time(item.created_at),
        "quarantined_at": _time(item.failing_since),
        "purge_at": None,
        "skip_confirmation_notification": False,
        "phone_number": None,
        "phone_country": None,
        "display_phone_number": None,
        "page_access_user_id": None,
        # Ours: the audience, and receiving / unconfirmed / unsubscribed / inactive.
        "audience": item.audience.slug,
        "state": subscriber_state(item),
    }


def template(item: MessageTemplate) -> Document:
    return {
        "id": str(item.id),
        "name": f"{item.audience.name}: {item.status.label}",
        "title": item.title,
        "body": item.body,
        "update_status": str(item.status),
        "should_tweet": False,
        "should_send_notifications": True,
        "group_id": None,
        "component_ids": [],
        "audience": item.audience.slug,
        "updated_at": _time(item.updated_at),
    }


def audience(item: Audience) -> Document:
    return {
        "id": str(item.id),
        "slug": item.slug,
        "name": item.name,
        "description": item.description,
        "public": item.is_public,
        "liaison_role": str(item.liaison_role),
        "position": item.position,
    }


def timeline_event(event: TimelineEvent) -> Document:
    return {
        "id": str(event.id),
        "incident_id": str(event.incident_id),
        "kind": str(event.kind),
        "occurred_at": _time(event.occurred_at),
        "text": event.message,
        "actor": event.actor.name if event.actor else None,
    }
