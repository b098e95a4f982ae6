"""Who is calling the management API: the key in `Authorization` (`OAuth <key>`, as Statuspage's
clients send it, or `Bearer <key>`), looked up in the database on every request; what its user's
role and the key's read-only flag allow; and the audit entry every write with a key leaves."""

from __future__ import annotations

import hashlib

from flask import abort, g, request
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import ApiKey, User
from statuspage.permissions import Permission, has_permission
from statuspage.services.api import keys

SCHEMES = ("oauth", "bearer")
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def key_in_request() -> str | None:
    """The key the Authorization header carries, whatever it is worth."""
    scheme, _, key = request.headers.get("Authorization", "").strip().partition(" ")
    return key.strip() if scheme.lower() in SCHEMES and key.strip() else None


def rate_limit_key() -> str:
    """Requests are counted per key (by its prefix; a request without one, per address)."""
    key = key_in_request()
    if key:
        return "api-key:" + hashlib.sha256(key[: keys.PREFIX_LENGTH].encode()).hexdigest()[:16]
    return "api-address:" + (request.remote_addr or "")


def authenticate() -> None:
    """Before every API view: 401 without a working key; 403 for a read-only key writing."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    api_key = keys.key_for(key_in_request(), now=utcnow())
    if api_key is None:
        abort(401, description="Could not authenticate: send a working API key as "
              "'Authorization: OAuth <key>' or 'Authorization: Bearer <key>'.")  # fmt: skip
    db.session.commit()  # the last-used time, even when the request fails later
    g.api_key = api_key
    if api_key.read_only and request.method not in READS:
        abort(403, description=f"The key {api_key.name!r} is read-only.")


def current_key() -> ApiKey:
    return g.api_key  # type: ignore[no-any-return]


def caller() -> User:
    """The user the request's key acts as."""
    return current_key().user


def require(permission: Permission) -> User:
    """The caller, if their role grants the permission; 403 otherwise."""
    user = caller()
    if not has_permission(user, permission):
        abort(403, description=f"The role {user.role} may not do that ({permission}).")
    return user


def audit_write(response: Response) -> Response:
    """After every write with a key, one audit entry naming the key (refusals included)."""
    api_key = g.get("api_key")
    if api_key is None or request.method in READS:
        return response
    db.session.rollback()  # whatever the view left uncommitted is not the audit's to save
    keys.record_key_write(
        db.session.merge(api_key), request.method, request.path, response.status_code, now=utcnow()
    )
    db.session.commit()
    return response


# The document and its reference page are public: they describe, they do not act.
PUBLIC_ENDPOINTS = frozenset({"api_v1.openapi", "api_v1.reference"})
