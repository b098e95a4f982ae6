"""Public status of incidents: what the public audience was last told, and when.

Revision ID: 12b7e8015156
Revises: e9db3575f037
Create Date: 2026-11-26 15:52:33.967497

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '12b7e8015156'
down_revision = 'e9db3575f037'
branch_labels = None
depends_on = None

# The newest update published to a public audience, per incident (ids break ties in time).
_NEWEST_PUBLIC_UPDATE = """
    SELECT {column} FROM incident_update
    JOIN audience ON audience.id = incident_update.audience_id
    WHERE incident_update.incident_id = incident.id
      AND incident_update.state = 'published' AND audience.is_public
    ORDER BY incident_update.published_at DESC, incident_update.id DESC
    LIMIT 1
"""


def upgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('public_updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_incident_kind_public_status', ['kind', 'public_status'], unique=False)
        batch_op.create_index('ix_incident_public_updated_at', ['public_updated_at'], unique=False)
    op.execute(
        "UPDATE incident SET "
        f"public_status = ({_NEWEST_PUBLIC_UPDATE.format(column='incident_update.status')}), "
        f"public_updated_at = ({_NEWEST_PUBLIC_UPDATE.format(column='incident_update.published_at')})"
    )


def downgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_public_updated_at')
        batch_op.drop_index('ix_incident_kind_public_status')
        batch_op.drop_column('public_updated_at')
        batch_op.drop_column('public_status')
