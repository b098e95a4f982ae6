"""Signing in: failures slow down the client that made them; nobody can lock another person out.

- A client is an account at one address (`client:` key). Its first few failures are answered at
  once; after them its next attempt must wait, doubling with each further failure up to a maximum.
  An address is slowed the same way over every account it tries (`address:` key, IPv6 by /64),
  so one address cannot guess its way through many accounts either.
- An account's failures from every address (`account:` key) are only a signal: past a few, each
  client's next attempt on it waits a little longer, never beyond a few seconds. The account is
  never refused as such, so the owner at another address still signs in with the right password.
- An attempt inside its wait is refused at once with TooManyAttempts and its Retry-After:
  nothing sleeps in a request.
- `admit` counts an attempt before its (slow) password check, one conditional UPDATE per key that
  also checks the wait: concurrent guesses cannot all slip past a limit. The caller commits the
  count, then calls `verify`; a success gives the count back. Failures are forgotten after a window
  without one.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from statuspage.core.errors import DomainError, TooManyAttempts
from statuspage.core.times import describe_duration
from statuspage.extensions import db, insert_ignoring_duplicates
from statuspage.models import LoginThrottle, User
from statuspage.services.accounts import check_password, find_user, normalise_email

# One message for every failure, so that nobody can learn which accounts exist.
BAD_CREDENTIALS = "That email and password do not match an account that can sign in."


@dataclass(frozen=True)
class ThrottlePolicy:
    window: timedelta
    free_failures_per_account_address: int
    free_failures_per_address: int
    free_failures_per_account: int
    slowdown: timedelta
    max_slowdown: timedelta
    max_account_slowdown: timedelta

    @classmethod
    def from_settings(cls, config: Mapping[str, Any]) -> ThrottlePolicy:
        """The policy the LOGIN_* settings describe."""
        return cls(
            window=timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]),
            free_failures_per_account_address=config["LOGIN_FREE_FAILURES_PER_ACCOUNT_ADDRESS"],
            free_failures_per_address=config["LOGIN_FREE_FAILURES_PER_ADDRESS"],
            free_failures_per_account=config["LOGIN_FREE_FAILURES_PER_ACCOUNT"],
            slowdown=timedelta(seconds=config["LOGIN_SLOWDOWN_SECONDS"]),
            max_slowdown=timedelta(seconds=config["LOGIN_MAX_SLOWDOWN_SECONDS"]),
            max_account_slowdown=timedelta(seconds=config["LOGIN_MAX_ACCOUNT_SLOWDOWN_SECONDS"]),
        )

    def wait(self, failures: int, free: int, longest: timedelta) -> timedelta:
        """How long the next attempt waits after `failures`: none until `free`, then doubling."""
        if failures < free:
            return timedelta(0)
        return min(self.slowdown * 2 ** min(failures - free, 32), longest)


@dataclass(frozen=True)
class Attempt:
    """A sign-in let through and counted; `verify` decides it."""

    email: str
    client_key: str
    shared_keys: tuple[str, str]  # the address's and the account's


class InvalidCredentials(DomainError):
    """Wrong email or password, or an account that may not sign in."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__(BAD_CREDENTIALS)


def admit(
    email: str, *, address: str, now: datetime, policy: ThrottlePolicy, second_factor: bool = False
) -> Attempt:
    """Count an attempt, or raise TooManyAttempts while its client or address must still wait.

    `second_factor`: the caller has verified a second factor of this account (TOTP or SSO, a
    later feature), which lets the attempt past its address's wait (a busy shared address, or an
    attacker beside the user); the account-at-address wait still holds. On TooManyAttempts the
    caller rolls back, so a refused attempt counts for nothing.
    """
    client, from_address, account = keys = _keys(email, address)
    db.session.execute(
        insert_ignoring_duplicates(LoginThrottle, conflict_columns=["key"]).values(
            [
                {"key": key, "failures": 0, "last_failure_at": now, "slowed_until": now}
                for key in keys
            ]
        )
    )
    counts = []
    # Rows are locked in this one order (client, address, account): concurrent attempts cannot
    # deadlock.
    for key, gated in ((client, True), (from_address, not second_factor), (account, False)):
        count = _count(key, now, policy, gated=gated)
        if count is None:
            raise _still_waiting(key, now)
        counts.append(count)
    client_count, address_count, account_count = counts
    client_wait = max(
        policy.wait(client_count, policy.free_failures_per_account_address, policy.max_slowdown),
        policy.wait(account_count, policy.free_failures_per_account, policy.max_account_slowdown),
    )
    address_wait = policy.wait(address_count, policy.free_failures_per_address, policy.max_slowdown)
    _slow_down(client, now + client_wait)
    _slow_down(from_address, now + address_wait)
    return Attempt(normalise_email(email), client, (from_address, account))


def verify(attempt: Attempt, password: str, *, now: datetime) -> User:
    """The user whose credentials these are (their client's failures forgotten), else raise."""
    user = find_user(attempt.email)
    if not (check_password(user, password) and user is not None and user.is_active):
        raise InvalidCredentials()
    forget_client(attempt)
    db.session.execute(
        sa.update(LoginThrottle)
        .where(LoginThrottle.key.in_(attempt.shared_keys), LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
        .execution_options(synchronize_session=False)
    )
    user.last_login_at = now
    return user


def forget_client(attempt: Attempt) -> None:
    """A success: the client's failures are forgotten (as verify does after a password)."""
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == attempt.client_key))


def purge_login_failures(*, now: datetime, window: timedelta) -> int:
    """Forget keys with no failure within the window and no wait left; returns how many."""
    result = db.session.execute(
        sa.delete(LoginThrottle).where(
            LoginThrottle.last_failure_at <= now - window, LoginThrottle.slowed_until <= now
        )
    )
    return result.rowcount or 0


def _keys(email: str, address: str) -> tuple[str, str, str]:
    email, address = normalise_email(email)[:254], _address_key(address)
    return f"client:{email} {address}", f"address:{address}", f"account:{email}"


def _address_key(address: str) -> str:
    """The address as counted: an IPv6 client holds a whole /64, so it counts as one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _count(key: str, now: datetime, policy: ThrottlePolicy, *, gated: bool) -> int | None:
    """Count one more failure under the key and return the count; None (and no count) if gated
    and the key must still wait."""
    statement = (
        sa.update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(
            failures=sa.case(
                (LoginThrottle.last_failure_at <= now - policy.window, 1),
                else_=LoginThrottle.failures + 1,
            ),
            last_failure_at=now,
        )
        .returning(LoginThrottle.failures)
        .execution_options(synchronize_session=False)
    )
    if gated:
        statement = statement.where(LoginThrottle.slowed_until <= now)
    return db.session.execute(statement).scalar_one_or_none()


def _slow_down(key: str, until: datetime) -> None:
    db.session.execute(
        sa.update(LoginThrottle)
        .where(LoginThrottle.key == key, LoginThrottle.slowed_until < until)
        .values(slowed_until=until)
        .execution_options(synchronize_session=False)
    )


def _still_waiting(key: str, now: datetime) -> TooManyAttempts:
    until = db.session.scalar(sa.select(LoginThrottle.slowed_until).where(LoginThrottle.key == key))
    seconds = max(1, math.ceil(((until or now) - now).total_seconds()))
    # Shown to the minute once it is over one, rounded up so that nobody comes back too early.
    shown = seconds if seconds < 60 else math.ceil(seconds / 60) * 60
    return TooManyAttempts(
        "Too many failed sign-ins from here. "
        f"Wait {describe_duration(timedelta(seconds=shown))}, then try again.",
        retry_after=seconds,
    )
