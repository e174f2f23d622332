"""knowledge base: articles, their revisions and feedback; trigram search on PostgreSQL

Revision ID: 0060_knowledge_base
Revises: 0050_customer_progress
Create Date: 2026-11-30 20:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0060_knowledge_base'
down_revision = '0050_customer_progress'
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        # Trigrams make substring and similarity search work for Chinese, which has no spaces.
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_table(
        'articles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column(
            'audience', _enum('articleaudience', 'technician', 'customer', 'both'), nullable=False
        ),
        sa.Column('status', _enum('articlestatus', 'draft', 'published'), nullable=False),
        sa.Column('product_lines', sa.JSON(), nullable=False),
        sa.Column('visit_kinds', sa.JSON(), nullable=False),
        sa.Column('fault_causes', sa.JSON(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('author_user_id', sa.Integer(), nullable=True),
        sa.Column('updated_by_user_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['author_user_id'], ['users.id'],
            name=op.f('fk_articles_author_user_id_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['updated_by_user_id'], ['users.id'],
            name=op.f('fk_articles_updated_by_user_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_articles')),
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_articles_language'), ['language'], unique=False)
        batch_op.create_index(batch_op.f('ix_articles_status'), ['status'], unique=False)
    if postgres:
        op.create_index(
            'ix_articles_search_text_trgm', 'articles', ['search_text'], unique=False,
            postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'},
        )
    else:
        op.create_index('ix_articles_search_text_trgm', 'articles', ['search_text'], unique=False)

    op.create_table(
        'article_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', _enum('articlestatus', 'draft', 'published'), nullable=False),
        sa.Column('edited_by_user_id', sa.Integer(), nullable=True),
        sa.Column('edited_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['article_id'], ['articles.id'],
            name=op.f('fk_article_revisions_article_id_articles'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['edited_by_user_id'], ['users.id'],
            name=op.f('fk_article_revisions_edited_by_user_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_article_revisions')),
    )
    op.create_index(
        'ix_article_revisions_article_version', 'article_revisions', ['article_id', 'version']
    )

    op.create_table(
        'article_feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column(
            'reaction', _enum('articlereaction', 'view', 'helped', 'not_helped'), nullable=False
        ),
        sa.Column('reader', sa.String(length=20), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('context', sa.String(length=40), nullable=True),
        sa.Column('superseded', sa.Boolean(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['article_id'], ['articles.id'],
            name=op.f('fk_article_feedback_article_id_articles'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_article_feedback_user_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_article_feedback')),
    )
    op.create_index(
        'ix_article_feedback_article_reaction', 'article_feedback', ['article_id', 'reaction']
    )
    op.create_index(op.f('ix_article_feedback_user_id'), 'article_feedback', ['user_id'])


def downgrade():
    op.drop_table('article_feedback')
    op.drop_table('article_revisions')
    op.drop_table('articles')
