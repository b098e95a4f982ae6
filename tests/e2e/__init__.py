"""Browser tests: Debian chromium driven by playwright (never `playwright install`)."""
