"""The one source of "now": aware UTC. Services take `now=` so tests can pass their own.

Requests and jobs have no caller to pass `now`, so they read `utcnow()`; a test pins it with
`pinned(moment)` so that the pages it fetches see the same instant its world was built on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_pinned_at: datetime | None = None


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (the pinned instant, while one is)."""
    return _pinned_at if _pinned_at is not None else datetime.now(UTC)


@contextmanager
def pinned(moment: datetime) -> Iterator[datetime]:
    """Hold the clock still at `moment` (aware) inside the block: for tests, never for serving."""
    global _pinned_at
    if moment.tzinfo is None:
        raise ValueError("the clock is pinned to an aware datetime")
    previous, _pinned_at = _pinned_at, moment.astimezone(UTC)
    try:
        yield _pinned_at
    finally:
        _pinned_at = previous
