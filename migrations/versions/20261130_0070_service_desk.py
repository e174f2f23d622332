"""service desk: customer alerts (a customer newly tagged churn risk, until acknowledged)

Revision ID: 0070_service_desk
Revises: 0080_hardening
Create Date: 2026-11-30 20:45:00
"""

from alembic import op
import sqlalchemy as sa

from app.database import UTCDateTime


revision = '0070_service_desk'
down_revision = '0080_hardening'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'customer_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('acknowledged_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_by_user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['acknowledged_by_user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('customer_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_customer_alerts_customer_id', ['customer_id'], unique=False)
        batch_op.create_index(
            'ix_customer_alerts_acknowledged_at', ['acknowledged_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('customer_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_alerts_acknowledged_at')
        batch_op.drop_index('ix_customer_alerts_customer_id')
    op.drop_table('customer_alerts')
