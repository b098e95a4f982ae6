"""The session row behind a signed-in browser's cookie: made at every sign-in, checked (and seen)
on every console request, so that ending it in the profile's list signs that browser out.

How the browser signed in is kept beside it (`SIGNED_IN_BY`): "sso" skips our second factor,
as the company's provider asked for its own.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_login import current_user, login_user, logout_user

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import User
from statuspage.services.identity import sessions
from statuspage.views.access import me

SESSION_KEY = "session_key"
SIGNED_IN_BY = "signed_in_by"
# The blueprints where being signed in matters; public pages never wait for this check.
GUARDED = frozenset({"admin", "internal"})


def sign_in(user: User, *, by: str = "password") -> None:
    """Sign this browser in as the user, in a new session of theirs (committed)."""
    login_user(user)
    row = sessions.begin(
        user, user_agent=request.user_agent.string, address=_address(), now=utcnow()
    )
    db.session.commit()
    session[SESSION_KEY] = row.key
    session[SIGNED_IN_BY] = by


def check_session() -> None:
    """Sign out a browser whose session was ended; a session from before sessions were listed
    is listed from now on."""
    if request.blueprint not in GUARDED or "_user_id" not in session:
        return
    if not current_user.is_authenticated:
        return
    user, key = me(), session.get(SESSION_KEY)
    if not isinstance(key, str):
        row = sessions.begin(
            user, user_agent=request.user_agent.string, address=_address(), now=utcnow()
        )
        db.session.commit()
        session[SESSION_KEY] = row.key
    elif sessions.current(user, key, address=_address(), now=utcnow()) is None:
        logout_user()
        session.pop(SESSION_KEY, None)
    elif db.session.dirty:  # seen again
        db.session.commit()


def current_key() -> str | None:
    return session.get(SESSION_KEY)


def init_app(app: Flask) -> None:
    app.before_request(check_session)


def _address() -> str:
    return request.remote_addr or "unknown"
