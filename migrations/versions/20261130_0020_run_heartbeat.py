"""run heartbeat: a running solve stamps the run; stale runs fail, failed runs can be retried

Revision ID: 0020_run_heartbeat
Revises: 0006
Create Date: 2026-11-30 18:10:00
"""

from alembic import op
import sqlalchemy as sa
import app.database


revision = '0020_run_heartbeat'
down_revision = '0007_zones'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dispatch_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', app.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('retry_of_run_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_dispatch_runs_retry_of_run_id_dispatch_runs'),
            'dispatch_runs', ['retry_of_run_id'], ['id'],
        )
    # One meaning of priority: 5 is the most important. The seeded "Repair, urgent" policy
    # was written with 1; turn it around where it is still the seeded one.
    op.execute(
        "UPDATE sla_policies SET priority = 5 WHERE name = 'Repair, urgent' AND priority = 1 "
        "AND NOT EXISTS (SELECT 1 FROM sla_policies o WHERE o.priority = 5 "
        "AND (o.kind = sla_policies.kind OR (o.kind IS NULL AND sla_policies.kind IS NULL)) "
        "AND (o.tier = sla_policies.tier OR (o.tier IS NULL AND sla_policies.tier IS NULL)))"
    )


def downgrade():
    op.execute(
        "UPDATE sla_policies SET priority = 1 WHERE name = 'Repair, urgent' AND priority = 5"
    )
    with op.batch_alter_table('dispatch_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_dispatch_runs_retry_of_run_id_dispatch_runs'), type_='foreignkey')
        batch_op.drop_column('retry_of_run_id')
        batch_op.drop_column('heartbeat_at')
