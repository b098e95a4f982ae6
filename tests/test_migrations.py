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
from tests.outage import statement_limit


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


def test_migrations_may_run_statements_as_long_as_their_own_setting(empty_app):
    empty_app.config["MIGRATION_STATEMENT_TIMEOUT"] = 1200
    with empty_app.app_context():
        upgrade()
        assert statement_limit(db.session.connection()) == 1200


def test_the_migrations_match_the_models(empty_app):
    with empty_app.app_context():
        upgrade()
        assert drift() == []


def test_the_migrations_create_the_publication_row(empty_app):
    with empty_app.app_context():
        upgrade()
        rows = db.session.execute(sa.text("SELECT id, version FROM publication")).all()
        assert [tuple(row) for row in rows] == [(1, 0)]


def test_per_incident_impacts_carry_over_what_the_public_saw(empty_app):
    """A component held by an open public incident keeps its status through that incident's
    impact; one degraded by hand keeps it as a status set by hand; the others derive again."""
    with empty_app.app_context():
        upgrade(revision="12b7e8015156")
        at = "2026-11-30 10:00:00+00:00"
        statements = [
            (
                "INSERT INTO component (id, name, position, visibility, status, showcase,"
                " only_show_if_degraded, created_at, updated_at) VALUES"
                f" (1, 'API', 1, 'public', 'partial_outage', true, false, '{at}', '{at}'),"
                f" (2, 'Search', 2, 'public', 'degraded_performance', true, false, '{at}', '{at}'),"
                f" (3, 'Dashboard', 3, 'public', 'operational', true, false, '{at}', '{at}')"
            ),
            (
                "INSERT INTO incident (id, kind, title, severity, status, created_at, updated_at,"
                " started_at, public_status, public_updated_at, version) VALUES"
                f" (1, 'incident', 'Errors', 'SEV2', 'identified', '{at}', '{at}', '{at}',"
                f" 'identified', '{at}', 1),"
                f" (2, 'incident', 'Old', 'SEV3', 'resolved', '{at}', '{at}', '{at}',"
                f" 'resolved', '{at}', 1)"
            ),
            (
                "INSERT INTO incident_component (incident_id, component_id, status) VALUES"
                " (1, 1, 'partial_outage'), (2, 3, 'operational')"
            ),
        ]
        for statement in statements:
            db.session.execute(sa.text(statement))
        db.session.commit()
        upgrade()
        from statuspage.services.incidents.impacts import effective_statuses

        manual = dict(db.session.execute(sa.text("SELECT id, manual_status FROM component")).all())
        assert manual == {1: None, 2: "degraded_performance", 3: None}
        assert effective_statuses(public=True) == {
            1: "partial_outage",
            2: "degraded_performance",
            3: "operational",
        }
        severity = db.session.scalar(sa.text("SELECT public_severity FROM incident WHERE id = 1"))
        assert severity == "SEV2"


def test_peak_severity_is_the_worst_an_incident_had(empty_app):
    with empty_app.app_context():
        upgrade(revision="5d1c0a7e3b21")
        at = "2026-12-03 10:00:00+00:00"
        statements = [
            (
                "INSERT INTO incident (id, kind, title, severity, status, created_at, updated_at,"
                f" started_at, version) VALUES (1, 'incident', 'Lowered', 'SEV4', 'identified', '{at}',"
                f" '{at}', '{at}', 1), (2, 'incident', 'Steady', 'SEV3', 'identified', '{at}', '{at}',"
                f" '{at}', 1)"
            ),
            (
                "INSERT INTO timeline_event (incident_id, kind, occurred_at, message, data) VALUES"
                f" (1, 'severity_changed', '{at}', 'raised', '{{\"old\": \"SEV2\", \"new\": \"SEV1\"}}'),"
                f" (1, 'severity_changed', '{at}', 'lowered', '{{\"old\": \"SEV1\", \"new\": \"SEV4\"}}')"
            ),
        ]
        for statement in statements:
            db.session.execute(sa.text(statement))
        db.session.commit()
        upgrade()
        peaks = dict(db.session.execute(sa.text("SELECT id, peak_severity FROM incident")).all())
        assert peaks == {1: "SEV1", 2: "SEV3"}
