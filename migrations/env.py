"""Alembic environment, run by Flask-Migrate inside the app (so it uses the app's database URL).

Custom column types are rendered as plain SQLAlchemy types, so a migration never imports app code
that may change after it was written.
"""

import logging

import sqlalchemy as sa
from alembic import context
from flask import current_app

from statuspage.core.database import allow_statements
from statuspage.core.dbtypes import UTCDateTime

log = logging.getLogger("alembic.env")
config = context.config
migrate_extension = current_app.extensions["migrate"]
target_metadata = migrate_extension.db.metadata
MIGRATION_LOCK = 7_301_001  # any constant, the same in every process


def render_item(type_, obj, autogen_context):
    if type_ != "type":
        return False
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, sa.Enum) and not obj.native_enum:
        # Enum values live in Python (StrEnum); the column is a plain string, so adding a value
        # needs no migration.
        return f"sa.String(length={obj.length})"
    return False


def skip_empty_revisions(context, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


def run_migrations_offline():
    context.configure(
        url=str(migrate_extension.db.engine.url),
        target_metadata=target_metadata,
        literal_binds=True,
        render_item=render_item,
        **migrate_extension.configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    configure_args = dict(migrate_extension.configure_args)
    configure_args.setdefault("process_revision_directives", skip_empty_revisions)
    # A migration may rewrite a big table, or wait below for another host's migration.
    allow_statements(
        current_app.config["MIGRATION_STATEMENT_TIMEOUT"],
        settings=current_app.config,
        engine=migrate_extension.db.engine,
    )
    with migrate_extension.db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Several web containers start at once and each runs `flask db upgrade`: one migrates,
            # the others wait here and then find nothing left to do. Released on disconnect.
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_item=render_item,
            **configure_args,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
