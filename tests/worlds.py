"""Worlds built once per module and put back before each test, for modules of many read-mostly cases.

Building a world through the services (password hashes, defaults, publications) costs far more than
writing its rows back, so a module asks for `built_once(database_url, build)` in a module-scoped
fixture, and each test calls `put_back(snapshot)` into its freshly emptied database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from statuspage import create_app
from statuspage.core.clock import pinned
from statuspage.extensions import db
from tests.databases import Snapshot, empty_all_tables, restore_snapshot, take_snapshot
from tests.helpers import RUN_INSTANT, settings_for

T = TypeVar("T")


def built_once(database_url: str, build: Callable[[], T]) -> tuple[T, Snapshot]:
    """Run `build` in an app context at the run's instant; return what it gave and the rows."""
    app = create_app(settings_for(database_url))
    with app.app_context(), pinned(RUN_INSTANT):
        made = build()
        db.session.commit()
        with db.engine.begin() as connection:
            snapshot = take_snapshot(connection, db.metadata)
            empty_all_tables(connection, db.metadata)
        db.session.remove()
        db.engine.dispose()
    return made, snapshot


def put_back(snapshot: Snapshot) -> None:
    """Write the snapshot into the current app's (empty) database."""
    with db.engine.begin() as connection:
        restore_snapshot(connection, snapshot)
