"""user language

Revision ID: 20261130_0030_user_language
Revises: 0006
Create Date: 2026-11-30 18:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = '20261130_0030_user_language'
down_revision = '0020_run_heartbeat'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
