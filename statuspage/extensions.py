"""Flask extensions, created unbound here and bound to an app in create_app; the model base; and the
one SQL statement the services need that SQLAlchemy does not spell portably."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, registry

from statuspage.core.dbtypes import UTCDateTime, enum_column_type

# Stable constraint names keep migrations portable and let SQLite's batch mode find them again.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # One registry carrying both the metadata and the type map: Flask-SQLAlchemy subclasses this
    # base, and SQLAlchemy 2.1 refuses a type map declared beside an inherited registry.
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            timedelta: sa.Interval(),
            enum.Enum: enum_column_type(),
            dict[str, Any]: sa.JSON(),
            list[dict[str, Any]]: sa.JSON(),
        },
    )


db = SQLAlchemy(model_class=Base)
# What a database that cannot be reached raises (refused, timed out, dropped, or no pool slot); any
# other database error (a value out of range, a duplicate key) is about the request, not an outage.
DATABASE_UNREACHABLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits per client address; in memory per process unless RATELIMIT_STORAGE_URI names a shared store.
limiter = Limiter(key_func=get_remote_address)


def insert_ignoring_duplicates(
    target: Any, *, conflict_columns: Sequence[str] | None = None
) -> sa.Insert:
    """INSERT ... ON CONFLICT DO NOTHING into a model or table, in the session's dialect.

    A row that would break a unique key (only `conflict_columns`' one, when given) is left out and
    the statement goes on: a second scheduler writing the same row at the same moment waits for
    the first and then writes nothing, without failing its transaction. PostgreSQL and SQLite
    spell it alike; SQLAlchemy has no construct for both.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(target).on_conflict_do_nothing(index_elements=conflict_columns)
