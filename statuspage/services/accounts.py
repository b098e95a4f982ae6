"""User accounts: creating them, hashing and checking passwords with Argon2id, and their sessions.

A session holds the user's id and session generation (`User.get_id`); raising the generation
ends every session and remember-me cookie of the user at once (and their rows in the list of
sessions, services/identity/sessions.py). It is raised on logout, on any password change, on a
second-factor reset, and when an admin (or the single sign-on provider) changes the role or
whether the account may sign in.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from statuspage.core.errors import NotFound, ValidationError
from statuspage.extensions import db
from statuspage.models import Role, User, UserSession
from statuspage.services.records import record_audit
from statuspage.services.validation import clean_text

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()  # argon2-cffi's defaults follow RFC 9106's recommended profile
# Checked against when the account does not exist, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    """Email addresses compare case-insensitively and without surrounding space."""
    return (email or "").strip().lower()


def create_user(
    email: str,
    *,
    name: str | None = None,
    role: Role = Role.VIEWER,
    password: str | None = None,
    now: datetime,
) -> User:
    """Create an account; without a password it cannot sign in until one is set."""
    email = normalise_email(email)
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValidationError(f"{email!r} is not an email address.", field="email")
    if find_user(email) is not None:
        raise ValidationError(f"There is already an account for {email}.", field="email")
    user = User(
        email=email,
        name=clean_text(name or email.split("@")[0], field="name", max_length=120),
        role=Role(role),
        created_at=now,
    )
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def find_user(email: str) -> User | None:
    """The account with this email address, if there is one."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def set_password(user: User, password: str) -> None:
    """Store a new password for the user (hashed; the password itself is never kept)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    user.password_hash = _hasher.hash(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: no session made before this still loads the user."""
    user.session_generation = (user.session_generation or 0) + 1
    if user.id is not None:
        db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))


def user_for_session(session_id: str) -> User | None:
    """The active user a session's "id:generation" names, if the generation is still current."""
    user_id, _, generation = session_id.partition(":")
    if not (user_id.isdigit() and generation.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_generation != int(generation):
        return None
    return user


def generate_password() -> str:
    """A random password strong enough to hand out once."""
    return secrets.token_urlsafe(18)


def check_password(user: User | None, password: str) -> bool:
    """Whether the password is the user's; takes as long for a missing user as for a wrong one."""
    stored = user.password_hash if user is not None else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    if stored is None:
        return False
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return True


def list_users() -> list[User]:
    """Every account, active ones first, by name."""
    return list(
        db.session.scalars(sa.select(User).order_by(User.is_active.desc(), User.name, User.id))
    )


def get_user(user_id: int) -> User:
    """The account with this id, or NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user


def update_user(
    user: User, *, name: str, role: Role, is_active: bool, by: User, now: datetime
) -> User:
    """Change an account's name, role or whether it may sign in (never one's own role or access)."""
    if user.id == by.id and (Role(role) is not user.role or not is_active):
        raise ValidationError(
            "You cannot change your own role or deactivate yourself: ask another admin.",
            field="role",
        )
    before = {"name": user.name, "role": str(user.role), "is_active": user.is_active}
    if Role(role) is not user.role or is_active != user.is_active:
        end_sessions(user)  # also when reactivated: sessions from before stay ended
    user.name = clean_text(name, field="name", max_length=120)
    user.role = Role(role)
    user.is_active = is_active
    if not is_active:
        user.feed_token = None  # a deactivated account's feeds stop with its sessions
    record_audit(by, "user.edit", "user", user.id, now=now, details={"before": before})
    return user


def rotate_feed_token(user: User, *, now: datetime) -> str:
    """Give the user a new secret for their internal feed URLs; the old one stops working."""
    user.feed_token = secrets.token_urlsafe(32)
    record_audit(user, "user.feed_token.rotate", "user", user.id, now=now)
    return user.feed_token


def user_for_feed_token(token: str) -> User | None:
    """The active user whose feed secret this is, if any."""
    if not token or len(token) > 64:
        return None
    user = db.session.scalar(sa.select(User).where(User.feed_token == token))
    return user if user is not None and user.is_active else None
