"""Chat channels: Slack and Microsoft Teams incoming webhooks, and what is posted to them.

A hook URL is accepted only over https on its provider's hook hosts (hooks.slack.com; Teams'
*.webhook.office.com and Power Automate's *.logic.azure.com and
*.environment.api.powerplatform.com), or on a host STATUSPAGE_CHAT_HOOK_HOSTS adds (plain http
only for a loopback host: the tests' local receivers). The webhooks' SSRF guard still applies
when the post goes out.

Messages are Slack Block Kit (`blocks` + a fallback `text`) and Adaptive Cards 1.4 in a Teams
message, built from an update's frozen-at-publish content (or a stored message's subject and
text) only, so a retry posts the same bytes. Text people wrote is escaped for Slack's mrkdwn
(`&`, `<`, `>`, and the `@here`-style mentions), so it can neither ping a channel nor hide a link.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from statuspage.models import SubscriberKind
from statuspage.services.outbox.webhooks import UnsafeWebhookURL

CHAT_KINDS = frozenset({SubscriberKind.SLACK, SubscriberKind.TEAMS})
PROVIDER = {SubscriberKind.SLACK: "Slack", SubscriberKind.TEAMS: "Microsoft Teams"}
# (exact host, or a suffix starting with a dot) per provider.
PROVIDER_HOSTS = {
    SubscriberKind.SLACK: ("hooks.slack.com",),
    SubscriberKind.TEAMS: (
        ".webhook.office.com",
        ".logic.azure.com",
        ".environment.api.powerplatform.com",
    ),
}
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# Slack's limits: a section's text, a header's text, a button's text.
SECTION_TEXT = 3000
HEADER_TEXT = 150
BUTTON_TEXT = 75
FALLBACK_TEXT = 4000
_MENTIONS = ("@here", "@channel", "@everyone")
_WORD_JOINER = "\u2060"


def parse_hosts(setting: str | Iterable[str]) -> tuple[str, ...]:
    """Extra hook hosts from a comma-separated setting such as "127.0.0.1, chat.example"."""
    items = setting.split(",") if isinstance(setting, str) else setting
    return tuple(item.strip().lower() for item in items if item.strip())


def chat_hosts(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The extra hook hosts the app's STATUSPAGE_CHAT_HOOK_HOSTS allows."""
    return parse_hosts(config["CHAT_HOOK_HOSTS"])


def check_hook_url(url: str, kind: SubscriberKind, *, extra_hosts: Iterable[str] = ()) -> str:
    """The URL if it is one of the provider's incoming webhooks, or UnsafeWebhookURL saying why."""
    name = PROVIDER[kind]
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError:
        raise UnsafeWebhookURL(f"That is not a {name} webhook URL.") from None
    extra = host in set(extra_hosts)
    if parts.username or parts.password or not host:
        raise UnsafeWebhookURL(f"That is not a {name} webhook URL.")
    if not (extra or _on_provider_host(host, kind)):
        raise UnsafeWebhookURL(
            f"A {name} webhook URL must be on {_hosts_in_words(kind)} (not {host})."
        )
    if parts.scheme != "https" and not (extra and parts.scheme == "http" and _loopback(host)):
        raise UnsafeWebhookURL(f"A {name} webhook URL must start with https://.")
    return url


def _on_provider_host(host: str, kind: SubscriberKind) -> bool:
    return any(
        host.endswith(allowed) if allowed.startswith(".") else host == allowed
        for allowed in PROVIDER_HOSTS[kind]
    )


def _hosts_in_words(kind: SubscriberKind) -> str:
    return " or ".join(
        "*" + host if host.startswith(".") else host for host in PROVIDER_HOSTS[kind]
    )


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serialise(payload: Mapping[str, Any]) -> bytes:
    """The bytes posted: compact, keys sorted, so the same message is always the same bytes."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def escape_mrkdwn(text: str) -> str:
    """Text Slack shows as written: its three control characters escaped, mentions broken."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for mention in _MENTIONS:
        escaped = escaped.replace(mention, "@" + _WORD_JOINER + mention[1:])
    return escaped


def update_message(
    kind: SubscriberKind, frozen: Mapping[str, Any], *, manage_url: str | None
) -> dict[str, Any]:
    """A published update (its frozen "email" content) as the provider's message."""
    name = frozen.get("title") or frozen["incident_name"]
    facts = [("Status", frozen["status_label"])]
    components = frozen.get("components") or []
    if components:
        facts.append(("Components", ", ".join(f"{c['name']}: {c['impact']}" for c in components)))
    if frozen.get("next_update"):
        # "Next update by 14:30 UTC", the one wording, read as "Next update: by 14:30 UTC".
        facts.append(("Next update", frozen["next_update"].removeprefix("Next update ")))
    facts.append(("Published", frozen["published_at"]))
    message = Message(
        title=f"[{frozen['status_label']}] {name}",
        text=frozen["body_text"],
        facts=facts,
        link=("View the incident", frozen["incident_url"]),
        footer=f"{frozen['page_name']} · {frozen['audience_name']}",
        manage_url=manage_url,
    )
    return message.as_payload(kind)


def welcome_message(
    kind: SubscriberKind, *, page_name: str, page_url: str, following: str, manage_url: str
) -> dict[str, Any]:
    """The first message to a channel: it is subscribed (nobody can click a link in a channel)."""
    message = Message(
        title=f"Subscribed to {page_name}",
        text=f"This channel now receives {page_name}'s status updates about {following}.",
        facts=[],
        link=("Open the status page", page_url),
        footer=page_name,
        manage_url=manage_url,
    )
    return message.as_payload(kind)


def stored_message(
    kind: SubscriberKind, payload: Mapping[str, Any], *, page_name: str, page_url: str
) -> dict[str, Any]:
    """A stored subject and text (a cadence reminder, an overdue or escalation alert)."""
    message = Message(
        title=payload["subject"],
        text=payload["text"],
        facts=[],
        link=("Open", payload.get("link") or page_url),
        footer=page_name,
        manage_url=None,
    )
    return message.as_payload(kind)


class Message:
    """One chat message in plain parts, laid out for either provider."""

    def __init__(
        self,
        *,
        title: str,
        text: str,
        facts: list[tuple[str, str]],
        link: tuple[str, str],
        footer: str,
        manage_url: str | None,
    ) -> None:
        self.title = title
        self.text = text
        self.facts = facts
        self.link = link
        self.footer = footer
        self.manage_url = manage_url

    def as_payload(self, kind: SubscriberKind) -> dict[str, Any]:
        return self.slack() if kind is SubscriberKind.SLACK else self.teams()

    def slack(self) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": _plain(_cut(self.title, HEADER_TEXT))},
        ]
        if self.text.strip():
            blocks.append({"type": "section", "text": _mrkdwn(self.text, SECTION_TEXT)})
        for name, value in self.facts:
            blocks.append({"type": "section", "text": _mrkdwn_fact(name, value)})
        label, url = self.link
        buttons = [_button(label, url, "open")]
        if self.manage_url:
            buttons.append(_button("Manage subscription", self.manage_url, "manage"))
        blocks.append({"type": "actions", "elements": buttons})
        blocks.append({"type": "context", "elements": [_mrkdwn(self.footer, SECTION_TEXT)]})
        fallback = escape_mrkdwn(f"{self.title}\n{self.text}")
        return {"text": _cut(fallback, FALLBACK_TEXT), "blocks": blocks}

    def teams(self) -> dict[str, Any]:
        body: list[dict[str, Any]] = [
            {
                "type": "TextBlock",
                "text": self.title,
                "size": "Large",
                "weight": "Bolder",
                "wrap": True,
            }
        ]
        if self.text.strip():
            body.append({"type": "TextBlock", "text": self.text, "wrap": True})
        if self.facts:
            body.append(
                {
                    "type": "FactSet",
                    "facts": [{"title": name, "value": value} for name, value in self.facts],
                }
            )
        body.append(
            {
                "type": "TextBlock",
                "text": self.footer,
                "isSubtle": True,
                "size": "Small",
                "wrap": True,
            }
        )
        label, url = self.link
        actions = [{"type": "Action.OpenUrl", "title": label, "url": url}]
        if self.manage_url:
            actions.append(
                {"type": "Action.OpenUrl", "title": "Manage subscription", "url": self.manage_url}
            )
        body.append({"type": "ActionSet", "actions": actions})
        card = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": "1.4", "body": body}
        return {
            "type": "message",
            "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
        }


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": False}


def _mrkdwn(text: str, limit: int) -> dict[str, Any]:
    # verbatim: Slack neither links bare URLs nor turns names into mentions.
    return {"type": "mrkdwn", "text": _cut(escape_mrkdwn(text), limit), "verbatim": True}


def _mrkdwn_fact(name: str, value: str) -> dict[str, Any]:
    text = f"*{escape_mrkdwn(name)}:* {escape_mrkdwn(value)}"
    return {"type": "mrkdwn", "text": _cut(text, SECTION_TEXT), "verbatim": True}


def _button(label: str, url: str, action_id: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": _plain(_cut(label, BUTTON_TEXT)),
        "url": url,
        "action_id": action_id,
    }


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking a cut; never splitting an &entity;."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"
