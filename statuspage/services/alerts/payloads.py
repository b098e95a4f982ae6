"""The alert payloads a receiver reads, each made a list of plain `Alert`s.

Prometheus Alertmanager posts its webhook payload version "4"; Grafana's unified alerting posts
the same shape of alerts (its payload version "1"); the generic kind takes `{"alerts": [...]}` with
the same fields, signed exactly as our outgoing webhooks are (outbox.webhooks). Anything else is
refused with the reason, before anything changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from statuspage.core.errors import DomainError, PermissionDenied
from statuspage.models import IntegrationKind
from statuspage.services.outbox import webhooks

ALERTMANAGER_VERSION = "4"
GRAFANA_VERSIONS = ("1",)
STATES = ("firing", "resolved")
MAX_ALERTS = 500
_TEXT_LIMIT = 500


@dataclass(frozen=True)
class Alert:
    """One alert as its sender said it: firing or resolved, its labels and a line saying what."""

    fingerprint: str
    firing: bool
    labels: dict[str, str]
    summary: str


def read(
    kind: IntegrationKind,
    body: bytes,
    headers: Mapping[str, str],
    *,
    secret: str,
    now: float,
) -> list[Alert]:
    """The alerts in a body sent to an integration of this kind (`now` in Unix seconds, for the
    signature's age); DomainError (a 4xx) saying what is wrong otherwise."""
    if kind is IntegrationKind.GENERIC:
        _check_signature(secret, headers, body, now=now)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise DomainError(f"The body is not JSON ({error}).") from None
    if not isinstance(payload, dict):
        raise DomainError("The body must be a JSON object with a list of alerts.")
    _check_version(kind, payload.get("version"))
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise DomainError('The body must hold a non-empty list "alerts".')
    if len(alerts) > MAX_ALERTS:
        raise DomainError(f"At most {MAX_ALERTS} alerts in one body.")
    return [_alert(item, index) for index, item in enumerate(alerts)]


def _check_signature(secret: str, headers: Mapping[str, str], body: bytes, *, now: float) -> None:
    timestamp = headers.get(webhooks.TIMESTAMP_HEADER, "")
    signature = headers.get(webhooks.SIGNATURE_HEADER, "")
    if not webhooks.verify_signature(secret, timestamp, signature, body, now=now):
        raise PermissionDenied(
            f"The {webhooks.SIGNATURE_HEADER} header does not sign this body with the "
            f"integration's secret at the {webhooks.TIMESTAMP_HEADER} given (or that time is more "
            f"than {webhooks.TOLERANCE_SECONDS} s away)."
        )


def _check_version(kind: IntegrationKind, version: Any) -> None:
    if kind is IntegrationKind.ALERTMANAGER and version != ALERTMANAGER_VERSION:
        raise DomainError(
            f"Alertmanager webhook payload version {ALERTMANAGER_VERSION!r} is read here, "
            f"not {str(version)[:20]!r}."
        )
    if kind is IntegrationKind.GRAFANA and version is not None and version not in GRAFANA_VERSIONS:
        raise DomainError(
            f"Grafana alerting payload version {GRAFANA_VERSIONS[0]!r} is read here, "
            f"not {str(version)[:20]!r}."
        )


def _alert(item: Any, index: int) -> Alert:
    where = f"alerts[{index}]"
    if not isinstance(item, dict):
        raise DomainError(f"{where} must be an object.")
    state = item.get("status")
    if state not in STATES:
        raise DomainError(f'{where}.status must be "firing" or "resolved".')
    labels = _strings(item.get("labels"), f"{where}.labels")
    annotations = _strings(item.get("annotations") or {}, f"{where}.annotations")
    fingerprint = item.get("fingerprint") or _fingerprint(labels)
    if not isinstance(fingerprint, str) or len(fingerprint) > 200:
        raise DomainError(f"{where}.fingerprint must be a text of at most 200 characters.")
    summary = (
        annotations.get("summary")
        or annotations.get("description")
        or labels.get("alertname")
        or "An alert"
    )
    return Alert(fingerprint, state == "firing", labels, summary[:_TEXT_LIMIT])


def _strings(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise DomainError(f"{where} must be an object of texts.")
    return value


def _fingerprint(labels: dict[str, str]) -> str:
    # What Alertmanager does too when a sender gives none: the same labels are the same alert.
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
