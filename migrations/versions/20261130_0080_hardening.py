"""visit history outlives a deleted visit: assignments keep its id, reviews survive it;
the unused hand-written rate counter table goes (Flask-Limiter counts now)

Revision ID: 0080_hardening
Revises: 0060_knowledge_base
Create Date: 2026-11-30 20:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0080_hardening'
down_revision = '0060_knowledge_base'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rate_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_counters_window_start'))
    op.drop_table('rate_counters')
    with op.batch_alter_table('visit_assignments', schema=None) as batch_op:
        batch_op.drop_constraint('fk_visit_assignments_visit_id_visits', type_='foreignkey')
    with op.batch_alter_table('visit_reviews', schema=None) as batch_op:
        batch_op.alter_column('visit_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint('fk_visit_reviews_visit_id_visits', type_='foreignkey')
        batch_op.create_foreign_key(
            batch_op.f('fk_visit_reviews_visit_id_visits'), 'visits', ['visit_id'], ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    op.create_table('rate_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('window_start', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_counters')),
    sa.UniqueConstraint('key', 'window_start', name=op.f('uq_rate_counters_key'))
    )
    with op.batch_alter_table('rate_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_counters_window_start'), ['window_start'], unique=False)
    op.execute('DELETE FROM visit_reviews WHERE visit_id IS NULL')
    op.execute('DELETE FROM visit_assignments WHERE visit_id NOT IN (SELECT id FROM visits)')
    with op.batch_alter_table('visit_reviews', schema=None) as batch_op:
        batch_op.drop_constraint('fk_visit_reviews_visit_id_visits', type_='foreignkey')
        batch_op.create_foreign_key(
            batch_op.f('fk_visit_reviews_visit_id_visits'), 'visits', ['visit_id'], ['id'],
            ondelete='CASCADE',
        )
        batch_op.alter_column('visit_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('visit_assignments', schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f('fk_visit_assignments_visit_id_visits'), 'visits', ['visit_id'], ['id'],
            ondelete='CASCADE',
        )
