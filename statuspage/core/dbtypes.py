"""Column types shared by every model: aware-UTC datetimes, enums stored as their values, and the
range of an integer column."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

# The largest value an id (an Integer column) holds on every backend: PostgreSQL's INTEGER has 32
# bits. A number beyond it, from a URL or a form, names no row and is never sent to the database.
LARGEST_INTEGER = 2**31 - 1


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A datetime that goes in aware and comes out aware UTC, on SQLite and PostgreSQL alike.

    SQLite has no time zone type, so values are stored there as naive UTC and the zone is put back
    on load. A naive datetime going in is a bug upstream and is refused rather than guessed at.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column_type() -> sa.Enum:
    """Enums are stored as their string values in a VARCHAR, so new values need no schema change."""
    return sa.Enum(
        enum.Enum,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=_enum_values,
    )


def _enum_values(enum_class: type[enum.Enum]) -> list[Any]:
    return [member.value for member in enum_class]
