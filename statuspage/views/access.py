"""View decorators that apply the permission table to a route."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user

from statuspage.extensions import login_manager
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
