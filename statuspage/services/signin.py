"""Signing in, with failed attempts slowed and then refused per account and per client address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.core.errors import DomainError, TooManyAttempts
from statuspage.extensions import db
from statuspage.models import LoginFailure, User
from statuspage.services.accounts import check_password, find_user, normalise_email

# One message for every failure, so that nobody can learn which accounts exist.
BAD_CREDENTIALS = "That email and password do not match an account that can sign in."


@dataclass(frozen=True)
class ThrottlePolicy:
    window: timedelta
    max_failures_per_account: int
    max_failures_per_address: int
    slowdown_seconds: float


class InvalidCredentials(DomainError):
    """The sign-in failed; the caller should wait `delay` seconds before answering."""

    status_code = 401

    def __init__(self, *, delay: float) -> None:
        super().__init__(BAD_CREDENTIALS)
        self.delay = delay


def sign_in(
    email: str, password: str, *, address: str, now: datetime, policy: ThrottlePolicy
) -> User:
    """Return the user whose credentials these are, or raise InvalidCredentials / TooManyAttempts."""
    keys = _keys(email, address)
    since = now - policy.window
    account_failures, address_failures = (_failures(key, since) for key in keys)
    if (
        len(account_failures) >= policy.max_failures_per_account
        or len(address_failures) >= policy.max_failures_per_address
    ):
        oldest = min(
            failures[0]
            for failures, limit in (
                (account_failures, policy.max_failures_per_account),
                (address_failures, policy.max_failures_per_address),
            )
            if len(failures) >= limit
        )
        retry_after = max(1, int((oldest + policy.window - now).total_seconds()) + 1)
        raise TooManyAttempts(
            "Too many failed sign-ins. Wait a while before trying again.", retry_after=retry_after
        )
    user = find_user(email)
    if check_password(user, password) and user is not None and user.is_active:
        db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key == keys[0]))
        user.last_login_at = now
        return user
    db.session.add_all(LoginFailure(key=key, failed_at=now) for key in keys)
    # Each failure beyond the first doubles the wait before the answer.
    failures = max(len(account_failures), len(address_failures) // 4) + 1
    delay = 0.0 if failures < 2 else min(policy.slowdown_seconds * 2 ** (failures - 2), 4.0)
    raise InvalidCredentials(delay=delay)


def purge_login_failures(*, now: datetime, window: timedelta) -> int:
    """Forget failures older than the window; returns how many were removed."""
    result = db.session.execute(
        sa.delete(LoginFailure).where(LoginFailure.failed_at < now - window)
    )
    return result.rowcount or 0


def _keys(email: str, address: str) -> tuple[str, str]:
    return f"account:{normalise_email(email)[:250]}", f"address:{address[:250]}"


def _failures(key: str, since: datetime) -> list[datetime]:
    return list(
        db.session.scalars(
            sa.select(LoginFailure.failed_at)
            .where(LoginFailure.key == key, LoginFailure.failed_at > since)
            .order_by(LoginFailure.failed_at)
        )
    )
