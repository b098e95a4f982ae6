"""Browser tests: Debian's chromium driven by Playwright, against the app on 127.0.0.1 (a real
the web server, or werkzeug in a thread where a test holds the app's clock still). One Playwright and one
chromium per process: a second sync Playwright cannot start beside the first.

Without chromium or Playwright they skip with the reason, unless STATUSPAGE_REQUIRE_BROWSER=1 (CI),
when they fail instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import launch, missing_browser, skip_or_fail

# Screenshots land here (gitignored) for people to look at.
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    reason = missing_browser()
    if reason:
        skip_or_fail(reason)
    from playwright.sync_api import expect, sync_playwright

    # Assertions poll until this deadline: generous, because the suite shares two cores with
    # chromium and the web server, and a live preview is a debounce plus a round trip.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
