"""Where cadence alerts go in chat besides email: an incident's Slack or Teams channel (set on
its console page) and each person's own hook (set on their profile). Setting one checks it is
the provider's incoming webhook (outbox.chat) and is audited; an empty URL removes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from statuspage.core.errors import ValidationError
from statuspage.models import Incident, SubscriberKind, User
from statuspage.services.outbox import chat
from statuspage.services.outbox.webhooks import UnsafeWebhookURL
from statuspage.services.records import record_audit
from statuspage.services.validation import clean_optional_text

URL_LENGTH = 2048


def set_incident_hook(
    incident: Incident,
    kind: str | None,
    url: str | None,
    *,
    by: User,
    now: datetime,
    chat_hosts: Sequence[str] = (),
) -> None:
    """Post the incident's cadence alerts to this channel too (or stop, with no URL)."""
    _set(incident, "incident", kind, url, by=by, now=now, chat_hosts=chat_hosts)


def set_own_hook(
    user: User, kind: str | None, url: str | None, *, now: datetime, chat_hosts: Sequence[str] = ()
) -> None:
    """Post the person's own cadence alerts to their hook too (or stop, with no URL)."""
    _set(user, "user", kind, url, by=user, now=now, chat_hosts=chat_hosts)


def _set(
    owner: Incident | User,
    target: str,
    kind: str | None,
    url: str | None,
    *,
    by: User,
    now: datetime,
    chat_hosts: Sequence[str],
) -> None:
    owner.chat_hook_kind, owner.chat_hook_url = _checked(kind, url, chat_hosts)
    details = {"kind": str(owner.chat_hook_kind) if owner.chat_hook_kind else None}
    record_audit(by, f"{target}.chat_hook", target, owner.id, now=now, details=details)


def _checked(
    kind: str | None, url: str | None, chat_hosts: Sequence[str]
) -> tuple[SubscriberKind | None, str | None]:
    text = clean_optional_text(url, field="chat_hook_url", max_length=URL_LENGTH)
    if not text:
        return None, None
    channel = next((known for known in chat.CHAT_KINDS if known.value == kind), None)
    if channel is None:
        raise ValidationError("Choose Slack or Microsoft Teams.", field="chat_hook_kind")
    try:
        return channel, chat.check_hook_url(text, channel, extra_hosts=chat_hosts)
    except UnsafeWebhookURL as error:
        raise ValidationError(str(error), field="chat_hook_url") from None
