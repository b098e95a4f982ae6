"""Composing and addressing email: headers cannot be injected, SMTP URLs are understood."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

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
        {"subject": "API\x00errors"},
        {"recipient_name": "Ann\x00"},
        {"recipient_name": "Ann\x1b[2J"},
        {"headers": {"List-Unsubscribe": "<http://x>\x7f"}},
    ],
)
def test_line_breaks_and_control_characters_in_headers_are_refused_not_sent(changes):
    with pytest.raises(ValueError):
        compose(email(**changes), sender="status@example.com", sender_name="Acme", now=utcnow())


def composed(**changes) -> EmailMessage:
    raw = compose(email(**changes), sender="status@example.com", sender_name="Acme", now=utcnow())
    assert raw.isascii() and all(len(line) <= 998 for line in raw.split(b"\r\n"))
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


HEADERS = ["From", "Subject", "Date", "Auto-Submitted", "MIME-Version", "To", "Message-ID"]


@pytest.mark.parametrize(
    "name",
    [
        "Ann",
        'Ann "the boss" O\'Neil',
        "Ann <evil@example.net>, Bob",
        "Ann\\Bcc: evil@example.net",
        "Zoë Ørsted — 東京",
        "Ann; Bcc: evil@example.net",
        "x" * 400,
    ],
)
def test_a_hostile_display_name_stays_one_mailbox_and_adds_no_header(name):
    message = composed(recipient_name=name)
    assert list(message.keys()) == [*HEADERS, "Content-Type"]
    (mailbox,) = message["To"].addresses
    assert (mailbox.display_name, mailbox.addr_spec) == (name, "ann@example.com")


def test_a_display_name_written_as_an_encoded_word_is_still_one_mailbox():
    message = composed(recipient_name="=?utf-8?q?Bcc=3A_evil=40example.net?=")
    assert list(message.keys()) == [*HEADERS, "Content-Type"]
    (mailbox,) = message["To"].addresses
    assert mailbox.addr_spec == "ann@example.com"


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.com>, evil@example.net",
        "ann@example.com\r\nBcc: evil@example.net",
        "ann@example.com\nBcc: evil@example.net",
        "ann@example.com, evil@example.net",
        "<ann@example.com>",
        "ann@example.com (Bcc: evil@example.net)",
    ],
)
def test_a_hostile_address_is_refused(address):
    with pytest.raises(ValueError):
        compose(
            email(recipient=address), sender="status@example.com", sender_name="A", now=utcnow()
        )


def test_a_subject_of_any_text_reads_back_as_it_was_written():
    subject = "[Resolved] Card payments — failing = 100% (東京)  " + "long " * 60 + "end"
    assert composed(subject=subject)["Subject"] == subject


def test_bodies_read_back_as_written_whatever_they_hold():
    text = "Dots:\n.\n..leading\nFrom the start\nequals = and ünïcode\n" + "w" * 300
    html = "<p>" + "long line " * 100 + "</p>"
    message = composed(text=text, html=html)
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == text + "\n"
    assert message.get_body(("html",)).get_content().replace("\r\n", "\n") == html + "\n"


def test_a_message_is_multipart_text_and_html_with_its_message_id():
    message = composed()
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
