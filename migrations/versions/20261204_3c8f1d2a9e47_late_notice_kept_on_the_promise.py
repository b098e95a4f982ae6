"""Late notice kept on the promise: rendered once by the cadence tick when the promise falls due.

Promises already overdue have none: the surfaces show the built-in late notice for them.

Revision ID: 3c8f1d2a9e47
Revises: 77ae09fb5b8d
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c8f1d2a9e47'
down_revision = '77ae09fb5b8d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('promise', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_notice', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('promise', schema=None) as batch_op:
        batch_op.drop_column('late_notice')
