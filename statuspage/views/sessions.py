"""The session row behind a signed-in browser's cookie: made at every sign-in, checked (and seen)
on every console request, so that ending it in the profile's list signs that browser out.

How the browser signed in is kept beside it (`SIGNED_IN_BY`): "sso" skips our second factor,
as the company's provider asked for its own.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, request, session
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
    _begin(user)
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
        _begin(user)
    elif sessions.current(user, key, address=_address(), idle=idle(), now=utcnow()) is None:
        db.session.commit()  # an idle session's row goes
        logout_user()
        session.pop(SESSION_KEY, None)
    elif db.session.dirty:  # seen again
        db.session.commit()


def idle() -> timedelta:
    """How long a session may go unused before it ends (SESSION_IDLE_HOURS)."""
    return timedelta(hours=float(current_app.config["SESSION_IDLE_HOURS"]))


def current_key() -> str | None:
    return session.get(SESSION_KEY)


def init_app(app: Flask) -> None:
    app.before_request(check_session)


def _begin(user: User) -> None:
    row = sessions.begin(
        user, user_agent=request.user_agent.string, address=_address(), idle=idle(), now=utcnow()
    )
    db.session.commit()
    session[SESSION_KEY] = row.key


def _address() -> str:
    return request.remote_addr or "unknown"
