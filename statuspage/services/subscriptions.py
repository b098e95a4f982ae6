"""Subscribers: double opt-in from the public page (to everything, chosen components, or one
incident until it resolves), preferences, unsubscribing, and the admin side.

Nothing a member of the public does here tells them whether an address is already subscribed: a
request always ends the same way, and whoever owns the address learns the rest by email. (A
Slack or Teams hook URL is its own secret: whoever holds it may be told it is subscribed.)
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from statuspage.core.errors import InvalidLink, NotFound, PermissionDenied, ValidationError
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Component,
    Delivery,
    DeliveryKind,
    Incident,
    Subscriber,
    SubscriberKind,
    User,
)
from statuspage.models.enums import CLOSED_STATUSES
from statuspage.services.components import GroupListing, all_components, list_components
from statuspage.services.outbox import chat, enqueue
from statuspage.services.outbox.webhooks import Network, UnsafeWebhookURL, check_url
from statuspage.services.records import record_audit
from statuspage.services.validation import clean_optional_text, clean_text

ADDRESS_LENGTH = 254
URL_LENGTH = 2048
NAME_LENGTH = 120
# Shown on public pages, so in the page's language (lazy: read when raised).
USED_LINK = _l(
    "This confirmation link has already been used, or a newer one has been sent since. "
    "If you are not receiving updates, subscribe again."
)
STALE_LINK = _l("This link is no longer valid. Use the link in the most recent email you received.")


def clean_email(address: str | None) -> str:
    """The address in a normal form, or ValidationError saying what is wrong with it."""
    text = clean_text(address, field="email address", max_length=ADDRESS_LENGTH)
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValidationError(
            gettext("That is not a valid email address: %(error)s", error=error), field="email"
        ) from None
    return checked.normalized.lower()


def public_audience() -> Audience:
    """The audience the public subscribes to (customers)."""
    audience = db.session.scalar(
        sa.select(Audience).where(Audience.is_public.is_(True)).order_by(Audience.position)
    )
    if audience is None:
        raise NotFound("Subscriptions are not set up yet.")
    return audience


def choosable_components(audience: Audience) -> list[Component]:
    """Components a subscriber of the audience may pick: only public ones for a public audience."""
    return all_components(include_internal=not audience.is_public)


def choosable_groups(audience: Audience) -> list[GroupListing]:
    """The same components grouped as the pages group them (ungrouped first, then each group)."""
    return list_components(include_internal=not audience.is_public)


def followable_incident(incident_id: int) -> Incident:
    """An incident the public may follow alone: public, and not resolved or completed yet."""
    incident = db.session.get(Incident, incident_id)
    if incident is None or not incident.is_public:
        raise NotFound(gettext("There is no such incident on this status page."))
    if incident.public_status in CLOSED_STATUSES:
        raise ValidationError(
            gettext(
                "%(name)s is %(status)s: there will be no more updates about it. Subscribe to "
                "every update instead.",
                name=incident.public_name,
                status=incident.public_status.label.lower(),
            ),
            field="incident",
        )
    return incident


def request_subscription(
    address: str,
    component_ids: Iterable[int],
    *,
    now: datetime,
    emails_per_day: int,
    incident_id: int | None = None,
) -> None:
    """Start double opt-in for an address, to everything (or the components chosen) or to one
    incident's updates only; the caller answers the same whatever happens here."""
    audience = public_audience()
    address = clean_email(address)
    incident = followable_incident(incident_id) if incident_id is not None else None
    components = [] if incident else _pick_components(audience, component_ids)
    if enqueue.subscription_emails_since(address, now - timedelta(days=1)) >= emails_per_day:
        return  # enough mail to this address today, whoever is asking
    subscriber = _find(audience, SubscriberKind.EMAIL, address, incident=incident)
    if subscriber is not None and subscriber.receives:
        enqueue.enqueue_subscription_email(subscriber, DeliveryKind.MANAGE_SUBSCRIPTION, now=now)
        return
    if subscriber is None:
        subscriber = _new_subscriber(audience, SubscriberKind.EMAIL, address, now=now)
        subscriber.incident = incident
    # Not receiving yet, so the filter may change before the owner confirms.
    subscriber.components = components
    subscriber.confirm_nonce = secrets.token_hex(16)
    db.session.flush()
    enqueue.enqueue_subscription_email(subscriber, DeliveryKind.CONFIRM_SUBSCRIPTION, now=now)


def check_confirmation(subscriber_id: int, nonce: str) -> Subscriber:
    """The subscriber this confirmation link is still waiting for, or InvalidLink."""
    subscriber = db.session.get(Subscriber, subscriber_id)
    waiting = subscriber.confirm_nonce if subscriber is not None else None
    if subscriber is None or waiting is None or not hmac.compare_digest(waiting, nonce):
        raise InvalidLink(str(USED_LINK))
    return subscriber


def already_subscribed(subscriber_id: int, nonce: str) -> Subscriber | None:
    """The subscriber of a (genuine) confirmation link that was used: it receives already, and
    this link waits for nothing. None when the link still waits, or is stale for another reason
    (check_confirmation says which)."""
    subscriber = db.session.get(Subscriber, subscriber_id)
    if subscriber is None or not subscriber.receives:
        return None
    waiting = subscriber.confirm_nonce
    return None if waiting is not None and hmac.compare_digest(waiting, nonce) else subscriber


def confirm_subscription(subscriber_id: int, nonce: str, *, now: datetime) -> Subscriber:
    """Confirm the address whose link this is; a link works once."""
    subscriber = check_confirmation(subscriber_id, nonce)
    subscriber.confirm_nonce = None
    subscriber.confirmed_at = now
    subscriber.is_active = True
    subscriber.unsubscribed_at = None
    subscriber.failing_since = None
    return subscriber


def subscriber_for_link(subscriber_id: int, key: str) -> Subscriber:
    """The subscriber a manage or unsubscribe link belongs to, or InvalidLink."""
    subscriber = db.session.get(
        Subscriber, subscriber_id, options=[selectinload(Subscriber.components)]
    )
    if subscriber is None or not hmac.compare_digest(subscriber.token_key, key):
        raise InvalidLink(str(STALE_LINK))
    return subscriber


class ManagedByAdmins(PermissionDenied):
    """The links in its emails do not change an internal address an admin added (often a list
    that many read): only the admins do, in the console."""

    def __init__(self, subscriber: Subscriber) -> None:
        super().__init__(f"{subscriber.address} is a list managed by the admins: ask them.")


def set_components(subscriber: Subscriber, component_ids: Iterable[int]) -> Subscriber:
    """Choose which components the subscriber hears about (none chosen: all of them)."""
    if subscriber.managed_by_admins:
        raise ManagedByAdmins(subscriber)
    if subscriber.incident_id is not None:
        raise ValidationError(
            gettext("This subscription follows one incident: it has no components to choose."),
            field="components",
        )
    subscriber.components = _pick_components(subscriber.audience, component_ids)
    return subscriber


def unsubscribe(subscriber: Subscriber, *, now: datetime) -> Subscriber:
    """Stop every message to the subscriber, including those already waiting in the outbox."""
    if subscriber.managed_by_admins:
        raise ManagedByAdmins(subscriber)
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = now
    subscriber.confirm_nonce = None
    enqueue.cancel_pending(subscriber, now=now)
    return subscriber


def own_subscriptions(user: User) -> list[tuple[Audience, bool]]:
    """The internal audiences, each with whether the person subscribed their own address to it
    from their profile (and has not unsubscribed since)."""
    mine = {
        subscriber.audience_id
        for subscriber in db.session.scalars(
            sa.select(Subscriber).where(
                Subscriber.owner_user_id == user.id, Subscriber.unsubscribed_at.is_(None)
            )
        )
    }
    return [(audience, audience.id in mine) for audience in _internal_audiences()]


def set_own_subscriptions(user: User, audience_ids: Iterable[int], *, now: datetime) -> None:
    """Subscribe the person's own address to exactly these internal audiences, audited. It is
    their verified account address, so it receives at once; they may unsubscribe it themselves."""
    wanted, audiences = set(audience_ids), _internal_audiences()
    if wanted - {audience.id for audience in audiences}:
        raise ValidationError("Choose audiences from the list.", field="audiences")
    for audience, subscribed in own_subscriptions(user):
        if (audience.id in wanted) == subscribed:
            continue
        if subscribed:
            subscriber = _find_own(user, audience)
            unsubscribe(subscriber, now=now)
        else:
            subscriber = _subscribe_own_address(user, audience, now=now)
        action = "subscribed_self" if audience.id in wanted else "unsubscribed_self"
        record_audit(user, f"subscriber.{action}", "subscriber", subscriber.id, now=now,
                     details={"audience": audience.slug})  # fmt: skip


def _subscribe_own_address(user: User, audience: Audience, *, now: datetime) -> Subscriber:
    subscriber = _find_own(user, audience)
    if subscriber is None:
        if _find(audience, SubscriberKind.EMAIL, user.email) is not None:
            raise ValidationError(
                f"An admin added {user.email} to {audience.name}: it receives its updates already.",
                field="audiences",
            )
        subscriber = _new_subscriber(audience, SubscriberKind.EMAIL, user.email, now=now)
        subscriber.owner_user_id, subscriber.name = user.id, user.name
    subscriber.confirmed_at = subscriber.confirmed_at or now
    subscriber.unsubscribed_at = None
    db.session.flush()
    return subscriber


def _find_own(user: User, audience: Audience) -> Subscriber | None:
    return db.session.scalar(
        sa.select(Subscriber).where(
            Subscriber.owner_user_id == user.id, Subscriber.audience_id == audience.id
        )
    )


def _internal_audiences() -> list[Audience]:
    return list(
        db.session.scalars(
            sa.select(Audience)
            .where(Audience.is_public.is_(False))
            .order_by(Audience.position, Audience.id)
        )
    )


def add_subscriber(
    *,
    kind: SubscriberKind,
    audience: Audience,
    address: str,
    name: str | None,
    component_ids: Iterable[int],
    by: User,
    now: datetime,
    allowed_networks: Sequence[Network] = (),
    chat_hosts: Sequence[str] = (),
) -> Subscriber:
    """Add an email, webhook, Slack or Teams subscriber from the console.

    Webhooks, chat channels and internal audiences' addresses receive at once; an address added
    to a public audience is sent a confirmation link first, as if it had subscribed itself.
    """
    kind = SubscriberKind(kind)
    if kind is SubscriberKind.EMAIL:
        address = clean_email(address)
    elif kind in chat.CHAT_KINDS:
        address = clean_hook_url(address, kind, chat_hosts=chat_hosts)
    else:
        address = clean_webhook_url(address, allowed_networks=allowed_networks)
    components = _pick_components(audience, component_ids)
    if _find(audience, kind, address) is not None:
        raise ValidationError(f"{address} already subscribes to {audience.name}.", field="address")
    subscriber = _new_subscriber(audience, kind, address, now=now)
    subscriber.name = clean_optional_text(name, field="name", max_length=NAME_LENGTH)
    subscriber.components = components
    if kind is SubscriberKind.WEBHOOK:
        subscriber.signing_secret = secrets.token_urlsafe(32)
    if kind is SubscriberKind.EMAIL and audience.is_public:
        subscriber.confirm_nonce = secrets.token_hex(16)
    else:
        subscriber.confirmed_at = now
    db.session.flush()
    if subscriber.confirm_nonce:
        enqueue.enqueue_subscription_email(subscriber, DeliveryKind.CONFIRM_SUBSCRIPTION, now=now)
    record_audit(
        by,
        "subscriber.added",
        "subscriber",
        subscriber.id,
        now=now,
        details={"kind": str(kind), "audience": audience.slug},
    )
    return subscriber


def clean_hook_url(url: str | None, kind: SubscriberKind, *, chat_hosts: Sequence[str]) -> str:
    """The URL if it is one of the provider's incoming webhooks, or ValidationError saying why."""
    text = clean_text(url, field="address", max_length=URL_LENGTH)
    try:
        return chat.check_hook_url(text, kind, extra_hosts=chat_hosts)
    except UnsafeWebhookURL as error:
        raise ValidationError(str(error), field="address") from None


def request_chat_subscription(
    kind: SubscriberKind,
    url: str,
    component_ids: Iterable[int],
    *,
    now: datetime,
    chat_hosts: Sequence[str] = (),
) -> Subscriber:
    """Subscribe a Slack or Teams channel to the public audience from the subscribe page.

    Nobody can click a link in a channel, so the hook confirms itself: the first message ("you
    are subscribed", with the manage link) is queued, and the channel receives updates once the
    provider accepts it. Only who holds the hook URL (its secret) can post there anyway.
    """
    kind = SubscriberKind(kind)
    if kind not in chat.CHAT_KINDS:
        raise ValidationError(gettext("Choose Slack or Microsoft Teams."), field="channel")
    audience = public_audience()
    address = clean_hook_url(url, kind, chat_hosts=chat_hosts)
    components = _pick_components(audience, component_ids)
    subscriber = _find(audience, kind, address)
    if subscriber is not None and subscriber.receives:
        raise ValidationError(gettext("That channel is already subscribed."), field="address")
    if subscriber is None:
        subscriber = _new_subscriber(audience, kind, address, now=now)
    subscriber.components = components
    subscriber.unsubscribed_at = None
    subscriber.confirm_nonce = secrets.token_hex(16)
    db.session.flush()
    enqueue.enqueue_subscription_email(subscriber, DeliveryKind.CONFIRM_SUBSCRIPTION, now=now)
    return subscriber


def clean_webhook_url(url: str | None, *, allowed_networks: Sequence[Network] = ()) -> str:
    """The URL if webhooks may go there, or ValidationError saying why not."""
    text = clean_text(url, field="address", max_length=URL_LENGTH)
    try:
        check_url(text, allowed_networks=allowed_networks)
    except UnsafeWebhookURL as error:
        raise ValidationError(str(error), field="address") from None
    return text


def get_subscriber(subscriber_id: int) -> Subscriber:
    """The subscriber with this id, or NotFound."""
    subscriber = db.session.get(
        Subscriber, subscriber_id, options=[selectinload(Subscriber.components)]
    )
    if subscriber is None:
        raise NotFound(f"There is no subscriber {subscriber_id}.")
    return subscriber


def set_active(subscriber: Subscriber, active: bool, *, by: User, now: datetime) -> Subscriber:
    """Switch a subscriber off or back on from the console; on again forgets past failures."""
    subscriber.is_active = active
    if active:
        subscriber.failing_since = None
    else:
        enqueue.cancel_pending(subscriber, now=now)
    record_audit(
        by,
        "subscriber.activated" if active else "subscriber.deactivated",
        "subscriber",
        subscriber.id,
        now=now,
    )
    return subscriber


def remove_subscriber(subscriber: Subscriber, *, by: User, now: datetime) -> None:
    """Delete a subscriber and its deliveries."""
    record_audit(
        by,
        "subscriber.removed",
        "subscriber",
        subscriber.id,
        now=now,
        details={"kind": str(subscriber.kind), "address": subscriber.address},
    )
    # Explicitly, because SQLite does not enforce the foreign key's ON DELETE CASCADE.
    db.session.execute(sa.delete(Delivery).where(Delivery.subscriber_id == subscriber.id))
    db.session.delete(subscriber)


def subscriber_state(subscriber: Subscriber) -> str:
    """One word for the console and the export: receiving, unconfirmed, unsubscribed, ended (the
    incident it followed is resolved), inactive."""
    if subscriber.unsubscribed_at is not None:
        return "unsubscribed"
    if subscriber.ended_at is not None:
        return "ended"
    if subscriber.confirmed_at is None:
        return "unconfirmed"
    return "receiving" if subscriber.is_active else "inactive"


def _pick_components(audience: Audience, component_ids: Iterable[int]) -> list[Component]:
    wanted = set(component_ids)
    if not wanted:
        return []
    allowed = {component.id: component for component in choosable_components(audience)}
    unknown = wanted - set(allowed)
    if unknown:
        raise ValidationError(gettext("Choose components from the list."), field="components")
    return [allowed[component_id] for component_id in sorted(wanted)]


def _find(
    audience: Audience, kind: SubscriberKind, address: str, *, incident: Incident | None = None
) -> Subscriber | None:
    """The address's subscription to everything, or to the one incident if given."""
    followed = (
        Subscriber.incident_id.is_(None)
        if incident is None
        else Subscriber.incident_id == incident.id
    )
    return db.session.scalar(
        sa.select(Subscriber).where(
            Subscriber.audience_id == audience.id,
            Subscriber.kind == kind,
            Subscriber.address == address,
            followed,
        )
    )


def _new_subscriber(
    audience: Audience, kind: SubscriberKind, address: str, *, now: datetime
) -> Subscriber:
    subscriber = Subscriber(
        audience=audience,
        kind=kind,
        address=address,
        token_key=secrets.token_hex(16),
        created_at=now,
    )
    db.session.add(subscriber)
    return subscriber
