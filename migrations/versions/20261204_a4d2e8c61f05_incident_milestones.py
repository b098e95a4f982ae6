"""Incident milestones: the incident-response steps a commander sets or backdates by hand.

Revision ID: a4d2e8c61f05
Revises: 5e2d8a4c7b19
Create Date: 2026-12-04 16:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a4d2e8c61f05"
down_revision = "5e2d8a4c7b19"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "incident_milestone",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["set_by_id"], ["user_account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("incident_id", "kind"),
    )


def downgrade():
    op.drop_table("incident_milestone")
