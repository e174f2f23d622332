"""customer progress: preferences, order stage history, progress links, change and repair requests

Revision ID: 0050_customer_progress
Revises: 0040_session_epoch
Create Date: 2026-11-30 20:45:00
"""

from alembic import op
import sqlalchemy as sa

import app.database


revision = '0050_customer_progress'
down_revision = '0040_session_epoch'
branch_labels = None
depends_on = None

_ORDER_STAGES = (
    'lead', 'measure', 'design', 'confirmed', 'production', 'install', 'installed', 'closed',
    'cancelled',
)


def _stage(name):
    return sa.Enum(*_ORDER_STAGES, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
    op.create_table(
        'customer_preferences',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('channel', sa.String(length=10), nullable=True),
        sa.Column('opted_out', sa.Boolean(), nullable=False),
        sa.Column('updated_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_preferences_customer_id_customers'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customer_preferences')),
    )
    op.create_table(
        'order_stage_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('from_stage', _stage('from_order_stage'), nullable=True),
        sa.Column('to_stage', _stage('to_order_stage'), nullable=False),
        sa.Column('actor_user_id', sa.Integer(), nullable=True),
        sa.Column('at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_order_stage_changes_actor_user_id_users')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_stage_changes_order_id_orders'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_stage_changes')),
    )
    op.create_index(op.f('ix_order_stage_changes_order_id'), 'order_stage_changes', ['order_id'])
    op.create_table(
        'progress_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('nonce', sa.String(length=32), nullable=False),
        sa.Column('created_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('first_opened_at', app.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_progress_links_customer_id_customers')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_progress_links_order_id_orders'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_links')),
        sa.UniqueConstraint('nonce', name=op.f('uq_progress_links_nonce')),
        sa.UniqueConstraint('order_id', name=op.f('uq_progress_links_order_id')),
    )
    op.create_index(op.f('ix_progress_links_customer_id'), 'progress_links', ['customer_id'])
    op.create_table(
        'change_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('reschedule', 'cancel', name='changekind', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('status', sa.Enum('pending', 'confirmed', 'declined', 'withdrawn', name='changestatus', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('window_start', app.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column('window_end', app.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('created_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('decided_at', app.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_change_requests_customer_id_customers')),
        sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'], name=op.f('fk_change_requests_decided_by_user_id_users')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_change_requests_order_id_orders'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_change_requests_visit_id_visits'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_requests')),
    )
    for column in ('visit_id', 'order_id', 'customer_id', 'status'):
        op.create_index(op.f(f'ix_change_requests_{column}'), 'change_requests', [column])
    op.create_table(
        'repair_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('product', sa.String(length=80), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('proposed_windows', sa.JSON(), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('created_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('acknowledged_at', app.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_by_user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['acknowledged_by_user_id'], ['users.id'], name=op.f('fk_repair_requests_acknowledged_by_user_id_users')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_repair_requests_customer_id_customers')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_repair_requests_order_id_orders'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_repair_requests_visit_id_visits'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_requests')),
        sa.UniqueConstraint('visit_id', name=op.f('uq_repair_requests_visit_id')),
    )
    for column in ('order_id', 'customer_id', 'created_at'):
        op.create_index(op.f(f'ix_repair_requests_{column}'), 'repair_requests', [column])


def downgrade():
    op.drop_table('repair_requests')
    op.drop_table('change_requests')
    op.drop_table('progress_links')
    op.drop_table('order_stage_changes')
    op.drop_table('customer_preferences')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('params')
