"""How the outbox worker sends: servers, retry policy and batch sizes, from the STATUSPAGE_* settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from statuspage.services.outbox import chat, webhooks


@dataclass(frozen=True)
class DeliverySettings:
    """How the worker sends: servers, retry policy and batch sizes (from the STATUSPAGE_* config)."""

    smtp_url: str | None
    mail_from: str
    secret_key: str
    smtp_timeout: float = 30
    smtp_connections: int = 4
    webhook_timeout: float = 10
    allowed_networks: tuple[webhooks.Network, ...] = ()
    chat_hosts: tuple[str, ...] = ()
    pagerduty_url: str = "https://events.pagerduty.com/v2/enqueue"
    batch_size: int = 500
    lease: timedelta = timedelta(minutes=10)
    max_attempts: int = 10
    retry_base: float = 30
    retry_max: float = 3600
    deactivate_after: timedelta = timedelta(days=3)
    confirm_hours: int = 48

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeliverySettings:
        return cls(
            smtp_url=config["SMTP_URL"],
            mail_from=config["MAIL_FROM"],
            secret_key=config["SECRET_KEY"],
            smtp_timeout=float(config["SMTP_TIMEOUT_SECONDS"]),
            smtp_connections=int(config["SMTP_CONNECTIONS"]),
            webhook_timeout=float(config["WEBHOOK_TIMEOUT_SECONDS"]),
            allowed_networks=webhooks.parse_networks(config["WEBHOOK_ALLOWED_NETWORKS"]),
            chat_hosts=chat.chat_hosts(config),
            pagerduty_url=config["PAGERDUTY_EVENTS_URL"],
            batch_size=int(config["DELIVERY_BATCH_SIZE"]),
            lease=timedelta(seconds=float(config["DELIVERY_LEASE_SECONDS"])),
            max_attempts=int(config["DELIVERY_MAX_ATTEMPTS"]),
            retry_base=float(config["DELIVERY_RETRY_BASE_SECONDS"]),
            retry_max=float(config["DELIVERY_RETRY_MAX_SECONDS"]),
            deactivate_after=timedelta(days=float(config["SUBSCRIBER_DEACTIVATE_AFTER_DAYS"])),
            confirm_hours=int(config["SUBSCRIPTION_CONFIRM_HOURS"]),
        )
