"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts.

It can be stopped and started again on the same port, to play a mail server that goes away, made
to keep messages waiting at DATA, to play a slow one, and made to hang up instead of answering
DATA, to play a reply lost on the way back.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.processes import free_port


class MailSink:
    """Collects (envelope recipients, parsed message) for every accepted message."""

    def __init__(self, port: int | None = None, *, parse: bool = True) -> None:
        self.port = port or free_port()
        # Without parsing, only each message's Message-ID is kept (the benchmark's receiver,
        # which must not be slower than a real server).
        self.parse = parse
        self.message_ids: list[str] = []
        self.received: list[tuple[list[str], EmailMessage]] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._hold_after = math.inf
        self._released = threading.Event()
        self._replies_to_lose = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> MailSink:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def hold_after(self, count: int) -> None:
        """Accept `count` more messages, then keep each later one waiting until release()."""
        self._released.clear()
        self._hold_after = len(self.received) + count

    def lose_replies(self, count: int) -> None:
        """Keep the next `count` messages but hang up instead of answering their DATA (a reply
        lost on the way back: the sender cannot know the message arrived)."""
        self._replies_to_lose = count

    def should_lose_reply(self) -> bool:
        with self._lock:
            lose, self._replies_to_lose = (
                self._replies_to_lose > 0,
                max(0, self._replies_to_lose - 1),
            )
            return lose

    def release(self) -> None:
        self._hold_after = math.inf
        self._released.set()

    async def wait_if_held(self) -> None:
        if len(self.received) >= self._hold_after:
            await asyncio.to_thread(self._released.wait, 30)

    def keep(self, recipients: list[str], message: EmailMessage) -> None:
        with self._lock:
            self.received.append((recipients, message))

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [message for _, message in self.received]

    def to(self, address: str) -> list[EmailMessage]:
        """Messages whose envelope went to the address."""
        with self._lock:
            return [message for recipients, message in self.received if address in recipients]

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        """At least `count` messages, waiting up to `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


_MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>\r\n]*>)", re.MULTILINE | re.IGNORECASE)


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:
        await self.sink.wait_if_held()
        if not self.sink.parse:
            found = _MESSAGE_ID.search(envelope.original_content or envelope.content)
            self.sink.message_ids.append(found.group(1).decode() if found else "")
            return "250 Message accepted"
        message = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        self.sink.keep(list(envelope.rcpt_tos), message)  # type: ignore[arg-type]
        if self.sink.should_lose_reply():
            server.transport.close()
        return "250 Message accepted"


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "no text/plain part"
    return part.get_content()


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "no text/html part"
    return part.get_content()


# A subscription link (confirm, manage, unsubscribe) in an email, as the path it opens.
SUBSCRIPTION_LINK = re.compile(r"http://status\.test(/subscriptions/[a-z]+/[\w.\-]+)")
