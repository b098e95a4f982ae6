"""Browser tests: Debian's chromium driven by Playwright, against a real gunicorn.

Without chromium or Playwright they skip with the reason, unless STATUSPAGE_REQUIRE_BROWSER=1 (CI),
when they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots land here (gitignored) for people to look at.
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def _missing() -> str | None:
    if not (CHROMIUM.exists() or shutil.which("chromium")):
        return f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    reason = _missing()
    if reason:
        if os.environ.get("STATUSPAGE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"STATUSPAGE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    # Assertions poll until this deadline: generous, because the suite shares two cores with
    # chromium and gunicorn, and a live preview is a debounce plus a round trip.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=CHROMIUM_ARGS,
            headless=True,
        )
        yield launched
        launched.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
