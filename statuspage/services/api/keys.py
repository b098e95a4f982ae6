"""API keys: made for a user (the key is shown once; a digest is kept), named, rotated, revoked,
and found again from the key a request carries.

A key is `<prefix><secret>`: the prefix (12 hex characters) finds the row, the SHA-256 of the
whole key proves it. Each request looks its key up in the database, so a key revoked on one
process stops at once on every other (no process keeps keys in memory). A key acts with its
user's role; an inactive user's keys stop with the account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.core.errors import NotFound
from statuspage.extensions import db
from statuspage.models import ApiKey, User
from statuspage.services.records import record_audit
from statuspage.services.validation import clean_text

PREFIX_LENGTH = 12
NAME_LENGTH = 120
# The last-used time is written at most this often: a busy script does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_LONGEST_KEY = 200


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> tuple[str, str]:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return prefix, prefix + secrets.token_urlsafe(32)


def create_key(
    user: User, *, name: str, read_only: bool = False, by: User, now: datetime
) -> tuple[ApiKey, str]:
    """A new key for the user, and the key itself (shown once: only its digest is kept)."""
    prefix, key = _new_key()
    api_key = ApiKey(
        user=user,
        name=clean_text(name, field="name", max_length=NAME_LENGTH),
        prefix=prefix,
        secret_hash=_digest(key),
        read_only=read_only,
        created_at=now,
    )
    db.session.add(api_key)
    db.session.flush()
    record_audit(
        by,
        "api_key.create",
        "api_key",
        api_key.id,
        now=now,
        details={"name": api_key.name, "user_id": user.id, "read_only": read_only},
    )
    return api_key, key


def rotate_key(api_key: ApiKey, *, by: User, now: datetime) -> str:
    """A new secret for the key (same name and rights); the old one stops at once."""
    if api_key.is_revoked:
        raise NotFound("That key is revoked: make a new one.")
    api_key.prefix, key = _new_key()
    api_key.secret_hash = _digest(key)
    record_audit(
        by, "api_key.rotate", "api_key", api_key.id, now=now, details={"name": api_key.name}
    )
    return key


def revoke_key(api_key: ApiKey, *, by: User, now: datetime) -> None:
    """Stop the key for good (it stays listed, revoked)."""
    if api_key.is_revoked:
        return
    api_key.revoked_at = now
    record_audit(
        by, "api_key.revoke", "api_key", api_key.id, now=now, details={"name": api_key.name}
    )


def get_key(key_id: int, *, owner: User | None = None) -> ApiKey:
    """The key with this id (only among the owner's, when given), or NotFound."""
    api_key = db.session.get(ApiKey, key_id)
    if api_key is None or (owner is not None and api_key.user_id != owner.id):
        raise NotFound(f"There is no API key {key_id}.")
    return api_key


def keys_of(user: User) -> list[ApiKey]:
    """The user's keys, working ones first, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiKey)
            .where(ApiKey.user_id == user.id)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc())
        )
    )


def all_keys() -> list[ApiKey]:
    """Every user's keys, working ones first, newest first (for admins)."""
    return list(
        db.session.scalars(
            sa.select(ApiKey).order_by(
                ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc()
            )
        )
    )


def key_for(key: str | None, *, now: datetime) -> ApiKey | None:
    """The working key a request carries, or None (unknown, revoked, or its user inactive).

    Marks it used (at most once a minute)."""
    key = (key or "").strip()
    if len(key) <= PREFIX_LENGTH or len(key) > _LONGEST_KEY:
        return None
    api_key = db.session.scalar(sa.select(ApiKey).where(ApiKey.prefix == key[:PREFIX_LENGTH]))
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, _digest(key)):
        return None
    if api_key.is_revoked or not api_key.user.is_active:
        return None
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        api_key.last_used_at = now
    return api_key


def record_key_write(
    api_key: ApiKey, method: str, path: str, status: int, *, now: datetime
) -> None:
    """The audit entry every write made with a key gets: which key, what it asked, the answer."""
    record_audit(
        api_key.user,
        f"api.{method.lower()}",
        "api_key",
        api_key.id,
        now=now,
        details={"key": api_key.name, "path": path[:300], "status": status},
    )
