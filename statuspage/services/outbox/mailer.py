"""Email: rendering a message from templates/email/, composing it safely, and sending it by SMTP.

Messages are built with email.message.EmailMessage under the default policy, which refuses line
breaks in header values, so no text of ours or of a subscriber can add headers.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

# Beside the package, like the app's own templates (see create_app): statuspage/services/outbox/
# is three folders down from the project root.
EMAIL_TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "email"
_environment = Environment(
    loader=FileSystemLoader(EMAIL_TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Email:
    """One message ready to compose: who to, what, and the extra headers it carries."""

    recipient: str
    subject: str
    text: str
    html: str
    message_id: str  # without angle brackets: "<id>@<domain>" is added when composing
    recipient_name: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    use_tls: bool  # smtps://: TLS from the first byte
    starttls: bool
    username: str | None
    password: str | None
    timeout: float

    @classmethod
    def from_url(cls, url: str, *, timeout: float) -> SmtpSettings:
        """smtp://[user:pass@]host[:port][?starttls=true] or smtps://[user:pass@]host[:port]."""
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("the SMTP URL must be smtp://host[:port] or smtps://host[:port]")
        use_tls = parts.scheme == "smtps"
        starttls = parse_qs(parts.query).get("starttls", ["false"])[0].lower() in {"1", "true"}
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if use_tls else 587 if starttls else 25),
            use_tls=use_tls,
            starttls=starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=timeout,
        )


def render(name: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(text, html) of templates/email/<name>.txt and .html over the context."""
    text = _environment.get_template(f"{name}.txt").render(context)
    html = _environment.get_template(f"{name}.html").render(context)
    return text, html


def compose(email: Email, *, sender: str, sender_name: str, now: datetime) -> EmailMessage:
    """A multipart text + HTML message; raises ValueError for anything that would break a header."""
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = Address(display_name=sender_name, addr_spec=sender)
    message["To"] = Address(display_name=email.recipient_name or "", addr_spec=email.recipient)
    message["Date"] = format_datetime(now)
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{email.message_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, authenticated SMTP session; the caller quits it."""
    context = ssl.create_default_context()
    if settings.use_tls:
        session: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        session = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.starttls:
            session.starttls(context=context)
        if settings.username:
            session.login(settings.username, settings.password or "")
    except BaseException:
        session.close()
        raise
    return session


def is_permanent(error: smtplib.SMTPException) -> bool:
    """Whether the server refused the message for good (a 5xx answer), so retrying is pointless."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600
