"""Webhooks: signing and verifying payloads, refusing private addresses, and posting.

Every POST carries `X-Statuspage-Timestamp` (Unix seconds) and `X-Statuspage-Signature`:
`v1=` + hex HMAC-SHA256, keyed by the subscriber's secret, over `<timestamp>.<raw body>`.
The README shows a receiver how to verify it with `verify_signature` or ten lines of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

SIGNATURE_HEADER = "X-Statuspage-Signature"
TIMESTAMP_HEADER = "X-Statuspage-Timestamp"
DELIVERY_HEADER = "X-Statuspage-Delivery"  # the idempotency key: the same on every retry
EVENT_HEADER = "X-Statuspage-Event"
TOLERANCE_SECONDS = 300
_RESPONSE_LIMIT = 64 * 1024

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeWebhookURL(ValueError):
    """The URL is malformed or leads somewhere webhooks may not go; the message says why."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for this body sent at this time."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def verify_signature(
    secret: str, timestamp: str, signature: str, body: bytes, *, now: float
) -> bool:
    """Whether the body was signed with the secret at a time within five minutes of now."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), signature)


def parse_networks(setting: str | Iterable[str]) -> tuple[Network, ...]:
    """Networks from a comma-separated setting such as "127.0.0.0/8, ::1/128"."""
    items = setting.split(",") if isinstance(setting, str) else setting
    return tuple(ipaddress.ip_network(item.strip()) for item in items if item.strip())


@dataclass(frozen=True)
class Target:
    """Where a checked URL leads: the host for TLS and Host:, the address actually dialled."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


# What http.client refuses in a request line or Host header, and what no URL should hold anyway.
_FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x20\x7f]")
# Prefixes whose addresses carry an IPv4 address that is the one actually reached.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# Local-use NAT64 (RFC 8215): translators inside a network, to addresses inside it.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def check_url(url: str, *, allowed_networks: Iterable[Network] = ()) -> Target:
    """Resolve the URL and make sure every address it has is public (or explicitly allowed)."""
    parts = _parse(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    assert parts.hostname is not None  # _parse refused a URL without a host
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeWebhookURL(f"The host {parts.hostname} cannot be resolved.") from error
    addresses = [info[4][0] for info in found]
    allowed = tuple(allowed_networks)
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not any(ip in network for network in allowed) and not is_public(ip):
            raise UnsafeWebhookURL(
                f"The host {parts.hostname} resolves to {ip}, a private, loopback or link-local "
                "address; webhooks only go to public addresses."
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


def _parse(url: str) -> SplitResult:
    if _FORBIDDEN_CHARACTERS.search(url):
        raise UnsafeWebhookURL(
            "The URL must not contain spaces or control characters (percent-encode them)."
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError as error:
        raise UnsafeWebhookURL(f"The URL is malformed ({error}).") from error
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeWebhookURL("The URL must start with https:// (or http://) and name a host.")
    if parts.username or parts.password:
        raise UnsafeWebhookURL("The URL must not contain a user name or password.")
    if not (parts.path + parts.query).isascii():
        raise UnsafeWebhookURL("The URL's path must be ASCII (percent-encode other characters).")
    return parts


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether the address, and any IPv4 address it carries (6to4, NAT64, Teredo, mapped), is
    global: a relay would otherwise carry the post to the private address inside."""
    if not ip.is_global or ip.is_multicast or ip in _LOCAL_NAT64:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return True
    return all(is_public(inner) for inner in _embedded_ipv4(ip))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    inner = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        inner.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [address for address in inner if address is not None]


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allowed_networks: Iterable[Network] = (),
    timeout: float,
) -> int:
    """POST the body to the URL and return the status code; never follows redirects.

    The connection goes to the address that was checked, not to a second lookup of the name, so a
    DNS answer that changes between check and connect cannot steer it inside the network.
    """
    target = check_url(url, allowed_networks=allowed_networks)
    connection = _connection(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read(_RESPONSE_LIMIT)
        return response.status
    finally:
        connection.close()


def _connection(target: Target, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target, timeout)
    connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    connection._create_connection = lambda _address, *args: socket.create_connection(  # type: ignore[attr-defined]
        (target.address, target.port), *args
    )
    return connection


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address, with the certificate checked for the URL's host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
