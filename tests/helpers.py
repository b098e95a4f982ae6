"""Small helpers the tests share: the test clock, settings for a test app, signing in, counting
queries."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

TEST_SECRET_KEY = "test-secret-key-" + "x" * 32
# CI runs the suite again at awkward instants and in a zone with daylight saving (see .ci/run).
TEST_NOW_VARIABLE = "STATUSPAGE_TEST_NOW"
TEST_ZONE_VARIABLE = "STATUSPAGE_TEST_TIMEZONE"


def instant_of_run() -> datetime:
    """The instant every test world of this run is built on: STATUSPAGE_TEST_NOW, or the clock.

    Read once per run, so that under faketime every test sits at the faked instant, and a failure
    on some date can be repeated with STATUSPAGE_TEST_NOW set to the instant the run reported.
    """
    given = os.environ.get(TEST_NOW_VARIABLE)
    moment = datetime.fromisoformat(given) if given else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError(f"{TEST_NOW_VARIABLE} needs an offset, e.g. 2027-01-01T00:00:30Z")
    return moment.astimezone(UTC).replace(microsecond=0)


RUN_INSTANT = instant_of_run()


def page_zone() -> str:
    """The page's zone in tests: UTC, or STATUSPAGE_TEST_TIMEZONE."""
    return os.environ.get(TEST_ZONE_VARIABLE, "Etc/UTC")


def form_time(moment: datetime) -> str:
    """The moment as a person types it into a datetime-local field: in the page's zone."""
    return moment.astimezone(ZoneInfo(page_zone())).strftime("%Y-%m-%dT%H:%M")


def settings_for(database_url: str, **overrides: object) -> dict[str, object]:
    """Settings for an app under test; overrides win."""
    settings: dict[str, object] = {
        "ENV": "testing",
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": database_url,
        "BASE_URL": "http://status.test",
        "PAGE_NAME": "Acme Status",
        "TIMEZONE": page_zone(),
        "LOGIN_SLOWDOWN_SECONDS": 0,
        # Webhook tests post to a receiver on loopback, which is refused by default.
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        # Slack and Teams tests post to a receiver on loopback, which is not a provider's host.
        "CHAT_HOOK_HOSTS": "127.0.0.1",
        # Every request asks for the publication version, so a test sees its own publication at once.
        "PUBLIC_VERSION_CHECK_SECONDS": 0,
        # Admins' second factor is test_second_factor's; elsewhere a password signs anyone in.
        "SECOND_FACTOR_ROLES": [],
    }
    settings.update(overrides)
    return settings


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(
    client: FlaskClient,
    email: str,
    password: str,
    *,
    address: str = "127.0.0.1",
    next_page: str | None = None,
) -> TestResponse:
    """Post the login form the way a browser does, token included, from a client address."""
    environ = {"REMOTE_ADDR": address}
    token = csrf_token_from(client.get("/login", environ_base=environ).get_data(as_text=True))
    return client.post(
        "/login",
        query_string={"next": next_page} if next_page is not None else None,
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=environ,
    )


class _MarkupAudit(HTMLParser):
    """Collects what in a document could run script: elements, handlers, script URLs."""

    RISKY_ELEMENTS = frozenset(
        {"script", "iframe", "object", "embed", "svg", "math", "base", "form"}
    )

    def __init__(self, allowed_elements: set[str]) -> None:
        super().__init__()
        self.allowed_elements = allowed_elements
        self.findings: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.RISKY_ELEMENTS - self.allowed_elements:
            self.findings.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.findings.append(f"<{tag} {name}>")
            if name in {"href", "src", "action", "formaction"} and value:
                scheme = value.strip().lower().split(":", 1)[0]
                if ":" in value and scheme in {"javascript", "data", "vbscript"}:
                    self.findings.append(f"<{tag} {name}={value}>")


def dangerous_markup(html: str, *, allowed_elements: set[str] = frozenset()) -> list[str]:
    """Anything in the HTML that could run script; an empty list means the markup is inert.

    Pages may allow some elements of their own (their own forms, their own script file).
    """
    audit = _MarkupAudit(set(allowed_elements))
    audit.feed(html)
    return audit.findings


@contextmanager
def statements_run(engine: sa.Engine) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block, in order."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
