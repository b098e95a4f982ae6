"""The sessions of each user: one row per signed-in browser (its user agent, the address it was
last seen from, when it signed in and was last seen), listed on the profile and ended one by one.

The cookie names its row by a random key; a request whose row is gone, or that comes after the
session was left unused too long, is signed out. Ending every session at once is
`accounts.end_sessions` (the session generation, and these rows).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.core.errors import NotFound
from statuspage.extensions import db
from statuspage.models import User, UserSession

# Last seen is written at most this often: not one UPDATE per page.
SEEN_EVERY = timedelta(minutes=1)


def begin(
    user: User, *, user_agent: str, address: str, idle: timedelta, now: datetime
) -> UserSession:
    """A new session for a browser that just signed in; the user's idle ones go."""
    db.session.execute(
        sa.delete(UserSession).where(
            UserSession.user_id == user.id, UserSession.last_seen_at < now - idle
        )
    )
    row = UserSession(
        user_id=user.id,
        key=secrets.token_urlsafe(32),
        user_agent=(user_agent or "unknown")[:255],
        address=(address or "unknown")[:64],
        signed_in_at=now,
        last_seen_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def current(
    user: User, key: str, *, address: str, idle: timedelta, now: datetime
) -> UserSession | None:
    """The user's session with this key, seen now; None once it was ended, or left unused for
    longer than `idle` (then it ends)."""
    row = db.session.scalar(
        sa.select(UserSession).where(UserSession.user_id == user.id, UserSession.key == key)
    )
    if row is None:
        return None
    if now - row.last_seen_at > idle:
        db.session.delete(row)
        return None
    if now - row.last_seen_at >= SEEN_EVERY or row.address != address:
        row.last_seen_at = now
        row.address = (address or "unknown")[:64]
    return row


def list_sessions(user: User, *, idle: timedelta, now: datetime) -> list[UserSession]:
    """The user's sessions, the one seen most recently first (not those left unused for longer
    than `idle`: they have ended)."""
    return list(
        db.session.scalars(
            sa.select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.last_seen_at >= now - idle)
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def end(user: User, session_id: int) -> None:
    """Sign one of the user's own browsers out."""
    ended = db.session.execute(
        sa.delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
    if not ended.rowcount:
        raise NotFound("That session has ended already.")
