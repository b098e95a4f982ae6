"""Promise interval: a draft's promise counts from its publication.

Drafts written before keep their promised time (promise_seconds stays empty).

Revision ID: 3c7a9e5b2f18
Revises: 8f2b6c1d9e40
Create Date: 2026-12-04 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c7a9e5b2f18'
down_revision = '8f2b6c1d9e40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incident_update', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promise_seconds', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('incident_update', schema=None) as batch_op:
        batch_op.drop_column('promise_seconds')
