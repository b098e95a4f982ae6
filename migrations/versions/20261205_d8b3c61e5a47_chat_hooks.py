"""Chat hooks for cadence alerts: an incident's Slack or Teams channel, and each person's own;
a PagerDuty routing key per cadence policy, for escalations.

Revision ID: d8b3c61e5a47
Revises: c7a1b2d3e4f5
Create Date: 2026-12-05 07:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd8b3c61e5a47'
down_revision = 'c7a1b2d3e4f5'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('incident', 'user_account'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('chat_hook_kind', sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column('chat_hook_url', sa.String(length=2048), nullable=True))
    with op.batch_alter_table('cadence_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pagerduty_routing_key', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('cadence_policy', schema=None) as batch_op:
        batch_op.drop_column('pagerduty_routing_key')
    for table in ('user_account', 'incident'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('chat_hook_url')
            batch_op.drop_column('chat_hook_kind')
