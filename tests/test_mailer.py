"""Composing and addressing email: headers cannot be injected, SMTP URLs are understood."""

from __future__ import annotations

import pytest

from statuspage.core.clock import utcnow
from statuspage.services.outbox.mailer import Email, SmtpSettings, compose


def email(**changes):
    fields = {
        "recipient": "ann@example.com",
        "subject": "API errors",
        "text": "Hello",
        "html": "<p>Hello</p>",
        "message_id": "1.2.delivery",
    }
    fields.update(changes)
    return Email(**fields)


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "API errors\r\nBcc: everyone@example.com"},
        {"subject": "API errors\nX-Injected: yes"},
        {"recipient_name": "Ann\r\nBcc: everyone@example.com"},
        {"headers": {"List-Unsubscribe": "<http://x>\r\nBcc: everyone@example.com"}},
    ],
)
def test_line_breaks_in_headers_are_refused_not_sent(changes):
    with pytest.raises(ValueError):
        compose(email(**changes), sender="status@example.com", sender_name="Acme", now=utcnow())


def test_a_message_is_multipart_text_and_html_with_its_message_id():
    message = compose(email(), sender="status@example.com", sender_name="Acme", now=utcnow())
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Message-ID"] == "<1.2.delivery@example.com>"
    assert message["From"] == "Acme <status@example.com>"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", ("mail.example.com", 25, False, False, None, None)),
        (
            "smtp://u%40x:p%2Fw@mail.example.com:587?starttls=true",
            ("mail.example.com", 587, False, True, "u@x", "p/w"),
        ),
        ("smtps://u:p@mail.example.com", ("mail.example.com", 465, True, False, "u", "p")),
    ],
)
def test_smtp_urls(url, expected):
    settings = SmtpSettings.from_url(url, timeout=5)
    assert (
        settings.host,
        settings.port,
        settings.use_tls,
        settings.starttls,
        settings.username,
        settings.password,
    ) == expected
