"""Email: rendering a message from templates/email/, composing it safely, and sending it by SMTP.

An update goes to every subscriber of an audience at once, so composing costs little per
recipient: the headers all its recipients share (From, Subject, Date) are folded once by the
standard library's email policy, the parts that differ (To, Message-ID, the unsubscribe headers)
are written directly when they are plain printable ASCII and folded by the policy otherwise, and
the bodies are quoted-printable (binascii). No value with a line break becomes a header: no text
of ours or of a subscriber can add one.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email import errors, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask_babel import gettext, ngettext
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from statuspage.core.language import current_language

# Beside the package, like the app's own templates (see create_app): statuspage/services/outbox/
# is three folders down from the project root.
EMAIL_TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "email"
_environment = Environment(
    loader=FileSystemLoader(EMAIL_TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
# Flask-Babel's: the page's language while messages.py renders under page_language().
_environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
_environment.globals["current_language"] = current_language


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


def compose(email: Email, *, sender: str, sender_name: str, now: datetime) -> bytes:
    """A multipart text + HTML message as SMTP carries it (CRLF lines); raises ValueError for
    anything that would break a header."""
    for name, value in [
        ("Subject", email.subject),
        ("From", sender_name),
        ("To", f"{email.recipient_name or ''} {email.recipient}"),
        *email.headers.items(),
    ]:
        if _CONTROL.search(value):
            raise ValueError(f"the {name} header may not contain a line break or control character")
    domain = sender.rpartition("@")[2] or "localhost"
    head = [
        _shared_headers(email.subject, sender, sender_name, format_datetime(now)),
        _header("To", _mailbox(email.recipient_name, email.recipient)),
        _header("Message-ID", f"<{email.message_id}@{domain}>"),
        *(_header(name, value) for name, value in email.headers.items()),
    ]
    # Never in a quoted-printable body, where "=" is always written "=3D"; the same on a retry.
    boundary = "=_" + hashlib.sha256(email.message_id.encode()).hexdigest()[:32]
    head.append(
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode("ascii")
    )
    # The line break before each later delimiter belongs to the delimiter (RFC 2046), not the body.
    return b"".join(
        [
            *head,
            _part(boundary, "plain", email.text),
            b"\r\n",
            _part(boundary, "html", email.html),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        ]
    )


# Line breaks, NUL and the other control characters (a tab is folding white space): never in a header.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# One line of printable ASCII (a header written as it is), and what a mailbox needs no quoting for.
_PLAIN_VALUE = re.compile(r"[\x21-\x7e][\x20-\x7e]*")
_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+")
_ASCII_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
LONGEST_HEADER_LINE = 998  # RFC 5322


@functools.lru_cache(maxsize=64)
def _shared_headers(subject: str, sender: str, sender_name: str, date: str) -> bytes:
    message = EmailMessage()
    message["From"] = Address(display_name=sender_name, addr_spec=sender)
    message["Subject"] = subject
    message["Date"] = date
    message["Auto-Submitted"] = "auto-generated"
    message["MIME-Version"] = "1.0"
    return message.as_bytes(policy=policy.SMTP).removesuffix(b"\r\n")


def _header(name: str, value: str) -> bytes:
    line = f"{name}: {value}"
    if len(line) <= LONGEST_HEADER_LINE and _PLAIN_VALUE.fullmatch(value):
        return line.encode("ascii") + b"\r\n"
    return policy.SMTP.fold_binary(name, policy.SMTP.header_factory(name, value))


def _mailbox(name: str | None, address: str) -> str:
    if not _ASCII_ADDRESS.fullmatch(address):
        # An internationalised address, or something that is not one address at all.
        try:
            parsed = Address(addr_spec=address).addr_spec
        except errors.HeaderParseError as error:
            raise ValueError(f"not an email address: {address!r}") from error
        if parsed != address:
            raise ValueError(f"not one email address: {address!r}")
        return str(Address(display_name=name or "", addr_spec=address))
    if not name:
        return address
    if _ATOM_PHRASE.fullmatch(name):
        return f"{name} <{address}>"
    if name.isascii() and name.isprintable():
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{address}>'
    return str(Address(display_name=name, addr_spec=address))  # folded with encoded words


def _part(boundary: str, subtype: str, text: str) -> bytes:
    body = ("\n".join(text.splitlines()) + "\n").encode("utf-8")
    encoded = binascii.b2a_qp(body, istext=True).replace(b"\n", b"\r\n")
    return (
        f'--{boundary}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode("ascii") + encoded


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, authenticated SMTP session; the caller quits it."""
    # Loading the trusted certificates costs a tenth of a second: only when TLS is used.
    context = ssl.create_default_context() if settings.use_tls or settings.starttls else None
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
