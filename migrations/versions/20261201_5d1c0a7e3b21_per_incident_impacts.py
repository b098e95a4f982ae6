"""Per-incident impacts: each incident holds its own impact per component, public as published.

A component's status is no longer stored: it is derived from the impacts of the open incidents
and maintenance windows, unless an admin set one by hand (manual_status, carried over from a
stored status that no open incident explains). Incidents remember the severity the public was
told; updates, what they told of each component and the message sent about them; component
changes, the webhook content frozen when they happened.

Revision ID: 5d1c0a7e3b21
Revises: 12b7e8015156
Create Date: 2026-12-01 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1c0a7e3b21'
down_revision = '12b7e8015156'
branch_labels = None
depends_on = None

_CLOSED = "('resolved', 'completed')"
_HELD_BY_AN_OPEN_INCIDENT = f"""
    EXISTS (SELECT 1 FROM incident_component JOIN incident ON incident.id = incident_component.incident_id
            WHERE incident_component.component_id = component.id
              AND incident.status NOT IN {_CLOSED}
              AND incident_component.status != 'operational')
"""
_OF_A_PUBLIC_INCIDENT = "(SELECT public_status IS NOT NULL FROM incident WHERE incident.id = incident_component.incident_id)"


def upgrade():
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manual_status', sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE component SET manual_status = status "
        f"WHERE status != 'operational' AND NOT {_HELD_BY_AN_OPEN_INCIDENT}"
    )
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.drop_column('status')

    with op.batch_alter_table('incident_component', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('worst_public_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('public_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('public_until', sa.DateTime(timezone=True), nullable=True))
    # What the public saw until now is what was stored: the impacts of incidents it was told of.
    op.execute(
        "UPDATE incident_component SET public_status = status, worst_public_status = status, "
        "public_since = (SELECT started_at FROM incident WHERE incident.id = incident_component.incident_id), "
        "public_until = (SELECT resolved_at FROM incident WHERE incident.id = incident_component.incident_id) "
        f"WHERE {_OF_A_PUBLIC_INCIDENT}"
    )

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_severity', sa.String(length=32), nullable=True))
    op.execute("UPDATE incident SET public_severity = severity WHERE public_status IS NOT NULL")

    with op.batch_alter_table('incident_update', schema=None) as batch_op:
        batch_op.add_column(sa.Column('told_statuses', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('message', sa.JSON(), nullable=True))

    with op.batch_alter_table('component_status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snapshot', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('component_status_change', schema=None) as batch_op:
        batch_op.drop_column('snapshot')
    with op.batch_alter_table('incident_update', schema=None) as batch_op:
        batch_op.drop_column('message')
        batch_op.drop_column('told_statuses')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('public_severity')
    with op.batch_alter_table('incident_component', schema=None) as batch_op:
        batch_op.drop_column('public_until')
        batch_op.drop_column('public_since')
        batch_op.drop_column('worst_public_status')
        batch_op.drop_column('public_status')
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('status', sa.String(length=32), nullable=False, server_default='operational')
        )
    # The public status as the newest logged change has it.
    op.execute(
        "UPDATE component SET status = COALESCE((SELECT status FROM component_status_change "
        "WHERE component_status_change.component_id = component.id "
        "ORDER BY changed_at DESC, id DESC LIMIT 1), 'operational')"
    )
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.drop_column('manual_status')
