"""User accounts: creating them, and hashing and checking passwords with Argon2id."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from statuspage.errors import ValidationError
from statuspage.extensions import db
from statuspage.models import Role, User
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
