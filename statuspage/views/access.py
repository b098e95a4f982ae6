"""Who is asking and what they may do: the decorator that applies the permission table to a route,
the signed-in user, and refusing a per-object check."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user

from statuspage.extensions import login_manager
from statuspage.models import User
from statuspage.permissions import Permission, has_permission

P = ParamSpec("P")
R = TypeVar("R")


def permission_required(permission: Permission) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Anonymous users are sent to sign in; signed-in users without the permission get 403."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_permission(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def me() -> User:
    """The signed-in user as a model (current_user is a proxy)."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def require(allowed: bool) -> None:
    """Refuse with 403 unless the per-object check passed."""
    if not allowed:
        abort(403)
