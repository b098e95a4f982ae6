"""Reading once per transaction: what the public view answers is remembered in the session.

One render (or one export of many surfaces) asks for the same catalogue, open incidents and feeds'
rows many times. Answers are kept in the session until its transaction ends or it flushes a write,
so nothing stale outlives the read that made it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from statuspage.extensions import db
from statuspage.services.public.types import ComponentCatalogue

T = TypeVar("T")
_MEMO = "statuspage.services.public"
_listening = False


def per_transaction(function: Callable[..., T]) -> Callable[..., T]:
    """The function's answers, remembered per arguments until the transaction ends or writes."""

    @functools.wraps(function)
    def remembered(*args: Any, **kwargs: Any) -> T:
        memo = _memo()
        key = (
            f"{function.__module__}.{function.__qualname__}",
            tuple(a for a in args if not isinstance(a, ComponentCatalogue)),
            tuple(sorted(kwargs.items())),
        )
        if key not in memo:
            memo[key] = function(*args, **kwargs)
        return memo[key]

    return remembered


def _memo() -> dict[Hashable, Any]:
    global _listening
    if not _listening:
        for event in ("after_flush", "after_transaction_end"):
            sa.event.listen(Session, event, _forget)
        _listening = True
    return db.session.info.setdefault(_MEMO, {})


def _forget(session: Session, *_: object) -> None:
    session.info.pop(_MEMO, None)
