"""Cadence enforcement: alerts per incident (stale nudges too), their recipients, each promise's
reminder and escalation times, when its alerts were raised and when its obligation ended, and each
audience's late notice.

Revision ID: e9db3575f037
Revises: b6a9551c7d6b
Create Date: 2026-11-26 15:56:01.654495

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e9db3575f037'
down_revision = 'b6a9551c7d6b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cadence_alert_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('duty', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['cadence_alert.id'], name=op.f('fk_cadence_alert_recipient_alert_id_cadence_alert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_cadence_alert_recipient_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadence_alert_recipient')),
    sa.UniqueConstraint('alert_id', 'user_id', name=op.f('uq_cadence_alert_recipient_alert_id_user_id'))
    )
    with op.batch_alter_table('cadence_alert_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cadence_alert_recipient_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('audience', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_notice', sa.Text(), server_default='Our next update is running late; we will post one as soon as we can.', nullable=False))

    with op.batch_alter_table('cadence_alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('audience_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('about_at', sa.DateTime(timezone=True), nullable=True))
    # Alerts raised before this revision belong to a promise: take their incident from it.
    for column, source in (('incident_id', 'incident_id'), ('audience_id', 'audience_id'), ('about_at', 'due_at')):
        op.execute(
            f"UPDATE cadence_alert SET {column} = "
            f"(SELECT promise.{source} FROM promise WHERE promise.id = cadence_alert.promise_id)"
        )
    with op.batch_alter_table('cadence_alert', schema=None) as batch_op:
        batch_op.alter_column('incident_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('about_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('promise_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_cadence_alert_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('uq_cadence_alert_incident_nudge', ['incident_id', 'kind', 'about_at'], unique=True, sqlite_where=sa.text('promise_id IS NULL'), postgresql_where=sa.text('promise_id IS NULL'))
        batch_op.create_foreign_key(batch_op.f('fk_cadence_alert_incident_id_incident'), 'incident', ['incident_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_cadence_alert_audience_id_audience'), 'audience', ['audience_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('promise', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalate_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_promise_state_escalate_at', ['state', 'escalate_at'], unique=False)
        batch_op.create_index('ix_promise_state_remind_at', ['state', 'remind_at'], unique=False)

    _time_open_promises()
    # The tick skips promises whose alert of a kind was raised: mark the ones raised already.
    for column, kind in (('reminded_at', 'reminder'), ('overdue_at', 'overdue'), ('escalated_at', 'escalation')):
        op.execute(
            f"UPDATE promise SET {column} = (SELECT min(created_at) FROM cadence_alert"
            f" WHERE cadence_alert.promise_id = promise.id AND cadence_alert.kind = '{kind}')"
            f" WHERE {column} IS NULL"
        )


def _time_open_promises():
    """Give promises still open the reminder and escalation times of their audience's policy."""
    promise = sa.table(
        'promise',
        sa.column('id', sa.Integer()),
        sa.column('incident_id', sa.Integer()),
        sa.column('audience_id', sa.Integer()),
        sa.column('state', sa.String()),
        sa.column('made_at', sa.DateTime(timezone=True)),
        sa.column('due_at', sa.DateTime(timezone=True)),
        sa.column('remind_at', sa.DateTime(timezone=True)),
        sa.column('escalate_at', sa.DateTime(timezone=True)),
    )
    incident = sa.table('incident', sa.column('id', sa.Integer()), sa.column('severity', sa.String()))
    policy = sa.table(
        'cadence_policy',
        sa.column('audience_id', sa.Integer()),
        sa.column('severity', sa.String()),
        sa.column('remind_before', sa.Interval()),
        sa.column('escalate_after', sa.Interval()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(promise.c.id, promise.c.made_at, promise.c.due_at, policy.c.remind_before, policy.c.escalate_after)
        .join(incident, incident.c.id == promise.c.incident_id)
        .join(policy, sa.and_(policy.c.audience_id == promise.c.audience_id, policy.c.severity == incident.c.severity))
        .where(promise.c.state == 'open')
    ).all()
    for promise_id, made_at, due_at, remind_before, escalate_after in rows:
        # The same rule as services.cadence: a promise shorter than the lead is reminded halfway.
        remind_at = due_at - remind_before
        if remind_at <= made_at:
            remind_at = made_at + (due_at - made_at) / 2
        connection.execute(
            promise.update()
            .where(promise.c.id == promise_id)
            .values(remind_at=remind_at, escalate_at=due_at + escalate_after)
        )


def downgrade():
    with op.batch_alter_table('promise', schema=None) as batch_op:
        batch_op.drop_index('ix_promise_state_remind_at')
        batch_op.drop_index('ix_promise_state_escalate_at')
        batch_op.drop_column('escalate_at')
        batch_op.drop_column('remind_at')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('reminded_at')

    # Stale nudges have no promise, so the older schema cannot hold them.
    op.execute("DELETE FROM cadence_alert WHERE promise_id IS NULL")
    with op.batch_alter_table('cadence_alert', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cadence_alert_audience_id_audience'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_cadence_alert_incident_id_incident'), type_='foreignkey')
        batch_op.drop_index('uq_cadence_alert_incident_nudge', sqlite_where=sa.text('promise_id IS NULL'), postgresql_where=sa.text('promise_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_cadence_alert_incident_id'))
        batch_op.alter_column('promise_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('about_at')
        batch_op.drop_column('audience_id')
        batch_op.drop_column('incident_id')

    with op.batch_alter_table('audience', schema=None) as batch_op:
        batch_op.drop_column('late_notice')

    with op.batch_alter_table('cadence_alert_recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cadence_alert_recipient_user_id'))

    op.drop_table('cadence_alert_recipient')
