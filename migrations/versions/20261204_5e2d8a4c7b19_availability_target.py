"""Availability target: per component, the percent of each month contracts promise (SLA exposure).

Revision ID: 5e2d8a4c7b19
Revises: 3c8f1d2a9e47
Create Date: 2026-12-04 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e2d8a4c7b19'
down_revision = '3c8f1d2a9e47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.add_column(sa.Column('availability_target', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.drop_column('availability_target')
