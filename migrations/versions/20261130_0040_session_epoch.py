"""session epoch: console cookies can be revoked server-side

Revision ID: 0030_session_epoch
Revises: 0020_run_heartbeat
Create Date: 2026-11-30 19:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0040_session_epoch'
down_revision = '20261130_0030_user_language'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
