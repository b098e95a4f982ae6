"""Invariant 4: times are stored in UTC and every datetime read back is aware UTC."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from statuspage.core.dbtypes import UTCDateTime
from statuspage.core.site import Site
from statuspage.demo import seed_demo
from statuspage.extensions import db
from tests.factories import NOW, make_component

pytestmark = pytest.mark.usefixtures("ctx")


def datetime_columns():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, UTCDateTime):
                yield table, column


def test_every_datetime_read_back_from_the_database_is_aware_utc():
    seed_demo(now=NOW, site=Site("Acme", "http://status.test", "America/Chicago"))
    db.session.commit()
    db.session.expunge_all()
    checked = 0
    for table, column in datetime_columns():
        for value in db.session.scalars(sa.select(column).where(column.isnot(None))):
            assert value.tzinfo is UTC, f"{table.name}.{column.name} came back as {value!r}"
            checked += 1
    assert checked > 500  # the demo fills most of the columns


def test_every_model_datetime_column_uses_the_utc_type():
    plain = [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.DateTime) and not isinstance(column.type, UTCDateTime)
    ]
    assert plain == []


def test_an_aware_time_in_another_zone_is_stored_as_the_same_instant():
    chicago = timezone(timedelta(hours=-6))
    created = datetime(2026, 3, 4, 8, 0, tzinfo=chicago)
    component = make_component()
    component.created_at = created
    db.session.commit()
    db.session.expunge_all()
    reread = db.session.scalar(sa.select(db.metadata.tables["component"].c.created_at))
    assert reread == created and reread.tzinfo is UTC and reread.hour == 14


def test_a_naive_datetime_is_refused():
    component = make_component()
    component.created_at = datetime(2026, 3, 4, 14, 0)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.flush()
