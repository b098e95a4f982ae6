"""Worlds built once per module and put back before each case.

Building a world through the services (defaults, publications, deliveries) and building an app
(its URL map compiles every rule) cost far more than writing a world's rows back. So a module
builds its world once, and each case starts from it as built, whatever the case before it posted:
`put_back(app)` writes it into the test's own app, and `fresh()` into the module's one app, which
a module of hundreds of cases (the access matrix) shares when its cases never change settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import pytest
from flask import Flask

from statuspage import create_app
from statuspage.core.clock import pinned
from statuspage.extensions import db
from tests.databases import empty_all_tables, restore_snapshot, take_snapshot
from tests.helpers import RUN_INSTANT, settings_for

T = TypeVar("T")


class ModuleWorld(Generic[T]):
    """`made` is what `build` returned (ids, not objects: they outlive its session)."""

    def __init__(self, database_url: str, build: Callable[[], T]) -> None:
        self.app = create_app(settings_for(database_url))
        # A module fixture runs outside the per-test pin: build on the run's instant all the same.
        with self.app.app_context(), pinned(RUN_INSTANT):
            self.made = build()
            db.session.commit()
            with db.engine.begin() as connection:
                self.snapshot = take_snapshot(connection, db.metadata)
            db.session.remove()

    def fresh(self) -> Flask:
        """The module's app over the world exactly as it was built."""
        self.put_back(self.app)
        return self.app

    def put_back(self, app: Flask) -> None:
        """Write the world into the (emptied) database of `app`, a test's own app or the module's."""
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as connection:
                empty_all_tables(connection, db.metadata)
                restore_snapshot(connection, self.snapshot)

    def close(self) -> None:
        """Leave the database empty for the next module."""
        with self.app.app_context():
            db.session.remove()
            with db.engine.begin() as connection:
                empty_all_tables(connection, db.metadata)
            db.engine.dispose()


def shared_world(build: Callable[[], T]) -> tuple[Any, Any]:
    """The `module_world` and `app` fixtures of a module whose cases share one app over one world
    (built once by `build`, put back before each case) and never change the app's settings."""

    @pytest.fixture(scope="module")
    def module_world(database_url: str) -> Iterator[ModuleWorld[T]]:
        shared = ModuleWorld(database_url, build)
        yield shared
        shared.close()

    @pytest.fixture
    def app(module_world: ModuleWorld[T]) -> Flask:
        """The module's one app over its world as built (what one case posted, the next never
        sees)."""
        return module_world.fresh()

    return module_world, app
