"""Test databases: a SQLite file by default, or a fresh PostgreSQL database per test worker.

STATUSPAGE_TEST_DATABASE_URL selects PostgreSQL (CI's second pass). When it is set and the server
cannot be reached, the tests fail: they never fall back to SQLite or skip.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from statuspage.core.config import normalise_database_url

POSTGRES_URL_VARIABLE = "STATUSPAGE_TEST_DATABASE_URL"


def postgres_base_url() -> str | None:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    return normalise_database_url(url) if url else None


def fresh_database_url(name: str, sqlite_folder: Path) -> str:
    """An empty database called `name` on the backend under test.

    PostgreSQL database names carry a tag of this checkout, so two checkouts testing at once on
    one server never drop each other's databases.
    """
    base = postgres_base_url()
    if base is None:
        path = sqlite_folder / f"{name}.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    checkout = hashlib.sha1(str(Path(__file__).resolve()).encode()).hexdigest()[:6]
    return recreate_postgres_database(base, f"{name}_{checkout}")


def recreate_postgres_database(base_url: str, name: str) -> str:
    """Drop and create database `name` on the server of base_url; return its URL."""
    engine = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def empty_all_tables(connection: sa.Connection, metadata: sa.MetaData) -> None:
    """Delete every row, children first, leaving the schema in place."""
    for table in reversed(metadata.sorted_tables):
        connection.execute(table.delete())
    if connection.dialect.name == "postgresql":
        # Ids start from 1 again, as on a new database. (TRUNCATE ... RESTART IDENTITY does both,
        # but costs 45 ms a time against 7 for this: a test's tables hold a few rows.)
        connection.execute(
            sa.text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n"
                " ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = current_schema()"
            )
        )


@dataclass(frozen=True)
class Snapshot:
    """Every row of every table, parents first: a world built once and put back for each test."""

    tables: list[tuple[sa.Table, list[dict[str, object]]]]


def take_snapshot(connection: sa.Connection, metadata: sa.MetaData) -> Snapshot:
    """Read every row of the database, so that `restore_snapshot` can write it back."""
    return Snapshot(
        [
            (table, [dict(row) for row in connection.execute(sa.select(table)).mappings()])
            for table in metadata.sorted_tables
        ]
    )


def restore_snapshot(connection: sa.Connection, snapshot: Snapshot) -> None:
    """Write the snapshot's rows into empty tables, and move PostgreSQL's id sequences past them."""
    for table, rows in snapshot.tables:
        if rows:
            connection.execute(table.insert(), rows)
    if connection.dialect.name != "postgresql":
        return
    for table, rows in snapshot.tables:
        key = list(table.primary_key.columns)
        if rows and len(key) == 1 and key[0].autoincrement in (True, "auto"):
            connection.execute(
                sa.text("SELECT setval(pg_get_serial_sequence(:table, :column), :value)"),
                {
                    "table": table.name,
                    "column": key[0].name,
                    "value": max(r[key[0].name] for r in rows),
                },
            )
