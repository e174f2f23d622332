"""dispatch run zones: per-zone progress of runs split across workers

Revision ID: 0007_zones
Revises: 0006
Create Date: 2026-11-30 18:20:00
"""

from alembic import op
import sqlalchemy as sa
import app.database


revision = '0007_zones'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dispatch_run_zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('zone', sa.Integer(), nullable=False),
    sa.Column('technicians', sa.Integer(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=False),
    sa.Column('best_cost', sa.Float(), nullable=True),
    sa.Column('solutions_found', sa.Integer(), nullable=False),
    sa.Column('placed', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.String(length=64), nullable=True),
    sa.Column('started_at', app.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', app.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cpu_s', sa.Float(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['dispatch_runs.id'], name=op.f('fk_dispatch_run_zones_run_id_dispatch_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_run_zones')),
    sa.UniqueConstraint('run_id', 'zone', name=op.f('uq_dispatch_run_zones_run_id'))
    )


def downgrade():
    op.drop_table('dispatch_run_zones')
