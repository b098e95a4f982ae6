"""Users of the console and the record of failed sign-ins."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models.enums import Role


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

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LoginFailure(db.Model):
    """One failed sign-in, counted per account and per client address to slow guessing down."""

    __tablename__ = "login_failure"
    __table_args__ = (sa.Index("ix_login_failure_key_failed_at", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "account:<email>" or "address:<ip>"; the email need not belong to an account.
    key: Mapped[str] = mapped_column(sa.String(300))
    failed_at: Mapped[datetime]
