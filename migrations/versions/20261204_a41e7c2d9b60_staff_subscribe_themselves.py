"""Staff subscribe themselves: a subscriber a member of staff added from their profile is theirs.

Subscribers of internal audiences without an owner were added by admins: their unsubscribe links
no longer switch them off.

Revision ID: a41e7c2d9b60
Revises: a4d2e8c61f05
Create Date: 2026-12-04 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a41e7c2d9b60'
down_revision = 'a4d2e8c61f05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_subscriber_owner_user_id'), ['owner_user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_subscriber_owner_user_id_user_account'), 'user_account', ['owner_user_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_subscriber_owner_user_id_user_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_subscriber_owner_user_id'))
        batch_op.drop_column('owner_user_id')
