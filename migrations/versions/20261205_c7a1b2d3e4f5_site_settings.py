"""Branding set in the console: one site_settings row (name, accents, links, logo and favicon).

Revision ID: c7a1b2d3e4f5
Revises: c4e1a7f93d20
Create Date: 2026-12-05 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a1b2d3e4f5'
down_revision = 'c4e1a7f93d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'site_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('page_name', sa.String(length=100), nullable=True),
        sa.Column('accent_light', sa.String(length=7), nullable=True),
        sa.Column('accent_dark', sa.String(length=7), nullable=True),
        sa.Column('home_url', sa.String(length=500), nullable=True),
        sa.Column('privacy_url', sa.String(length=500), nullable=True),
        sa.Column('support_url', sa.String(length=500), nullable=True),
        sa.Column('powered_by', sa.Boolean(), nullable=False),
        sa.Column('logo_type', sa.String(length=40), nullable=True),
        sa.Column('logo_data', sa.LargeBinary(), nullable=True),
        sa.Column('favicon_type', sa.String(length=40), nullable=True),
        sa.Column('favicon_data', sa.LargeBinary(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_settings')),
    )


def downgrade():
    op.drop_table('site_settings')
