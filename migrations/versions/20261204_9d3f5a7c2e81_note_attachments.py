"""Screenshots attached to timeline notes.

Revision ID: 9d3f5a7c2e81
Revises: 6c1e9b3d7a52
Create Date: 2026-12-04 19:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d3f5a7c2e81'
down_revision = '6c1e9b3d7a52'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('note_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['timeline_event.id'], name=op.f('fk_note_attachment_event_id_timeline_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_attachment'))
    )
    with op.batch_alter_table('note_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_attachment_event_id'), ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('note_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_attachment_event_id'))
    op.drop_table('note_attachment')
