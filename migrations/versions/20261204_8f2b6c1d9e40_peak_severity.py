"""Peak severity: the worst severity an incident has had, which review rules follow.

Filled from each incident's severity and the severities its timeline says it had before.

Revision ID: 8f2b6c1d9e40
Revises: 5d1c0a7e3b21
Create Date: 2026-12-04 15:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8f2b6c1d9e40'
down_revision = '5d1c0a7e3b21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('peak_severity', sa.String(length=32), nullable=True))
    connection = op.get_bind()
    # 'SEV1' sorts before 'SEV2': the smallest name is the worst severity.
    worst = dict(connection.execute(sa.text("SELECT id, severity FROM incident")).all())
    changes = connection.execute(
        sa.text("SELECT incident_id, data FROM timeline_event WHERE kind = 'severity_changed'")
    )
    for incident_id, data in changes:
        data = json.loads(data) if isinstance(data, str) else data or {}
        for severity in (data.get('old'), data.get('new')):
            if severity and severity.startswith('SEV') and (
                worst.get(incident_id) is None or severity < worst[incident_id]
            ):
                worst[incident_id] = severity
    for incident_id, severity in worst.items():
        if severity is not None:
            connection.execute(
                sa.text("UPDATE incident SET peak_severity = :severity WHERE id = :id"),
                {"severity": severity, "id": incident_id},
            )


def downgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('peak_severity')
