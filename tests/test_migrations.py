"""Migrations: upgrade, downgrade and upgrade again on an empty database, and no drift from models.

Runs on SQLite, and on PostgreSQL in CI's second pass (STATUSPAGE_TEST_DATABASE_URL).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import current_app
from flask_migrate import downgrade, upgrade

from statuspage import create_app
from statuspage.extensions import db
from tests.databases import fresh_database_url
from tests.helpers import settings_for


@pytest.fixture
def empty_app(tmp_path, worker_id):
    url = fresh_database_url(f"statuspage_migrations_{worker_id}", tmp_path)
    app = create_app(settings_for(url))
    yield app
    with app.app_context():
        db.engine.dispose()


def table_names():
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def drift():
    migrate_config = current_app.extensions["migrate"].configure_args
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=dict(migrate_config))
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade_on_an_empty_database(empty_app):
    with empty_app.app_context():
        upgrade()
        assert table_names() == set(db.metadata.tables)
        downgrade(revision="base")
        assert table_names() == set()
        upgrade()
        assert table_names() == set(db.metadata.tables)


def test_the_migrations_match_the_models(empty_app):
    with empty_app.app_context():
        upgrade()
        assert drift() == []


def test_the_migrations_create_the_publication_row(empty_app):
    with empty_app.app_context():
        upgrade()
        rows = db.session.execute(sa.text("SELECT id, version FROM publication")).all()
        assert [tuple(row) for row in rows] == [(1, 0)]
