"""Responder check-ins: a missed check-in is a cadence alert about the responder who owes it.

Revision ID: 6c1e9b3d7a52
Revises: 4b7e2d9c1a36
Create Date: 2026-12-04 18:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6c1e9b3d7a52'
down_revision = '4b7e2d9c1a36'
branch_labels = None
depends_on = None

_NUDGE_BEFORE = sa.text('promise_id IS NULL')
_NUDGE_AFTER = sa.text('promise_id IS NULL AND about_user_id IS NULL')
_CHECKIN = sa.text('about_user_id IS NOT NULL')


def upgrade():
    with op.batch_alter_table('cadence_alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about_user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cadence_alert_about_user_id_user_account'), 'user_account', ['about_user_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_index('uq_cadence_alert_incident_nudge', sqlite_where=_NUDGE_BEFORE, postgresql_where=_NUDGE_BEFORE)
        batch_op.create_index('uq_cadence_alert_incident_nudge', ['incident_id', 'kind', 'about_at'], unique=True, sqlite_where=_NUDGE_AFTER, postgresql_where=_NUDGE_AFTER)
        batch_op.create_index('uq_cadence_alert_checkin', ['incident_id', 'about_user_id', 'about_at'], unique=True, sqlite_where=_CHECKIN, postgresql_where=_CHECKIN)


def downgrade():
    op.execute("DELETE FROM cadence_alert WHERE about_user_id IS NOT NULL")
    with op.batch_alter_table('cadence_alert', schema=None) as batch_op:
        batch_op.drop_index('uq_cadence_alert_checkin', sqlite_where=_CHECKIN, postgresql_where=_CHECKIN)
        batch_op.drop_index('uq_cadence_alert_incident_nudge', sqlite_where=_NUDGE_AFTER, postgresql_where=_NUDGE_AFTER)
        batch_op.create_index('uq_cadence_alert_incident_nudge', ['incident_id', 'kind', 'about_at'], unique=True, sqlite_where=_NUDGE_BEFORE, postgresql_where=_NUDGE_BEFORE)
        batch_op.drop_constraint(batch_op.f('fk_cadence_alert_about_user_id_user_account'), type_='foreignkey')
        batch_op.drop_column('about_user_id')
