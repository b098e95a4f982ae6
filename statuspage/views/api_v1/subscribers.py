"""Subscribers: list, read, add (an email address is sent a confirmation link first, as in the
console; a webhook receives at once), and unsubscribe (DELETE), by the console's services."""

from __future__ import annotations

from typing import Any

from flask import current_app

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.extensions import db
from statuspage.models import SubscriberKind
from statuspage.permissions import Permission
from statuspage.services import subscriptions
from statuspage.services.api import lists
from statuspage.services.configuration import get_audience
from statuspage.services.outbox.webhooks import parse_networks
from statuspage.views.api_v1 import access, shapes
from statuspage.views.api_v1.bodies import Envelope, pagination, record_id
from statuspage.views.api_v1.routing import ApiRoutes

routes = ApiRoutes("Subscribers")
BASE = "/pages/<page_id>/subscribers"
SUBSCRIBER_FIELDS = ("email", "endpoint", "component_ids", "skip_confirmation_notification",
                     "page_access_user", "audience_id")  # fmt: skip


@routes.route(BASE, "GET", "List subscribers", paginated=True, returns="Subscriber[]")
def list_subscribers() -> Any:
    access.require(Permission.MANAGE_SUBSCRIBERS)
    page, per_page = pagination()
    return [shapes.subscriber(s) for s in lists.subscribers(page=page, per_page=per_page)]


@routes.route(BASE, "POST", "Create a subscriber (email or webhook endpoint)",
              container="subscriber", fields=SUBSCRIBER_FIELDS,
              returns="Subscriber", created=True)  # fmt: skip
def create_subscriber() -> Any:
    user = access.require(Permission.MANAGE_SUBSCRIBERS)
    body = Envelope("subscriber", SUBSCRIBER_FIELDS)
    email, endpoint = body.text("email", max_length=254), body.text("endpoint", max_length=2048)
    if bool(email) == bool(endpoint):
        raise ValidationError("Send an email or an endpoint (one of them).", field="email")
    audience_id = body.fields.get("audience_id")
    subscriber = subscriptions.add_subscriber(
        kind=SubscriberKind.EMAIL if email else SubscriberKind.WEBHOOK,
        audience=get_audience(record_id(audience_id, field="audience_id"))
        if audience_id
        else subscriptions.public_audience(),
        address=email or endpoint or "",
        name=None,
        component_ids=body.ids("component_ids"),
        by=user,
        now=utcnow(),
        allowed_networks=parse_networks(current_app.config["WEBHOOK_ALLOWED_NETWORKS"]),
    )
    db.session.commit()
    return shapes.subscriber(subscriber), 201


@routes.route(BASE + "/<int:subscriber_id>", "GET", "Get a subscriber", returns="Subscriber")
def get_subscriber(subscriber_id: int) -> Any:
    access.require(Permission.MANAGE_SUBSCRIBERS)
    return shapes.subscriber(subscriptions.get_subscriber(subscriber_id))


@routes.route(
    BASE + "/<int:subscriber_id>", "DELETE", "Unsubscribe a subscriber", returns="Subscriber"
)
def delete_subscriber(subscriber_id: int) -> Any:
    user = access.require(Permission.MANAGE_SUBSCRIBERS)
    subscriber = subscriptions.get_subscriber(subscriber_id)
    document = shapes.subscriber(subscriber)
    subscriptions.remove_subscriber(subscriber, by=user, now=utcnow())
    db.session.commit()
    return document
