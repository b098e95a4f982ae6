"""Debian's chromium for the tests that need a browser: where it is, how it is launched, and what
happens when it (or something else a browser test needs) is missing.

Without it those tests skip with the reason, unless STATUSPAGE_REQUIRE_BROWSER=1 (CI), when they
fail instead: a green CI run has really driven the browser.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD

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


def chromium_path() -> str | None:
    if CHROMIUM.exists():
        return str(CHROMIUM)
    return shutil.which("chromium")


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if chromium_path() is None:
        return f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def skip_or_fail(reason: str) -> None:
    """Skip saying why, or fail when the run must have its browser tests (CI)."""
    if os.environ.get("STATUSPAGE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"STATUSPAGE_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def launch(playwright: Any) -> Any:
    """Debian's chromium, headless (never a browser build downloaded by `playwright install`)."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
    )


def sign_in(context: Any, base_url: str, email: str) -> Any:
    """A new page of the browser context, signed in to the console as `email` (tests' password)."""
    page = context.new_page()
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/admin/$"))
    return page
