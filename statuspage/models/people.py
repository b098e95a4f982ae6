"""Users of the console, their sessions and API keys, and failed sign-ins counted per key."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models.enums import Role, SubscriberKind


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(default=Role.VIEWER)
    # None means the account cannot sign in with a password (for example demo people).
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Secret in the URL of the user's internal feeds (feed readers cannot sign in); rotatable.
    feed_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Part of every session's user id: raising it ends all the user's sessions at once.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # The second factor (TOTP): the shared secret encrypted with a key derived from the app's
    # secret key, when it was enrolled, and the last time step a code was accepted for (a code
    # is good once).
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]
    # Their own Slack or Teams incoming webhook: their cadence alerts are posted there too.
    chat_hook_kind: Mapped[SubscriberKind | None]
    chat_hook_url: Mapped[str | None] = mapped_column(sa.String(2048))

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session (and a remember-me cookie): id:generation."""
        return f"{self.id}:{self.session_generation}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class RecoveryCode(db.Model):
    """One of a user's single-use codes for signing in without their authenticator (hashed)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None]


class UserSession(db.Model):
    """One signed-in browser: its cookie names `key`; deleting the row signs that browser out."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(sa.String(255))
    address: Mapped[str] = mapped_column(sa.String(64))
    signed_in_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class ApiKey(db.Model):
    """A key a program uses to act as its user on the management API (/api/v1).

    Only a digest of the key is kept; `prefix`, its first characters, finds the row. A key acts
    with its user's role (never more); a read-only one only reads. Revoked keys stay listed.
    """

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    read_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class LoginThrottle(db.Model):
    """Failed sign-ins counted under one key, and until when that key's next attempt must wait.

    Keys are "client:<email> <address>", "address:<address>" and "account:<email>"; the email
    need not belong to an account. One row per key, so counting is one atomic UPDATE.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(600), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    slowed_until: Mapped[datetime]
