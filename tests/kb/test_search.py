"""Search works for Chinese (no spaces between words) on PostgreSQL, and on SQLite for the demo."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.database import Base
from app.models import ArticleAudience
from app.services import articles
from app.services.article_search import ArticleQuery, search, similarity
from tests.factories import article


def _titles(session, text, **options):
    return [h.article.title for h in search(session, ArticleQuery(text=text, **options))]


@pytest.fixture
def shelf(session):
    article("柜门关不严怎么办", "先检查铰链再调节螺丝。")
    article("抽屉滑轨异响", "清洁滑轨并涂润滑油。")
    article("Hinge adjustment", "Turn the **depth** screw a quarter turn.", language="en")
    article("100% 满意的安装_检查表", "安装后逐项检查。")
    return session


def test_a_two_character_chinese_query_finds_the_article_containing_it(shelf):
    assert _titles(shelf, "柜门") == ["柜门关不严怎么办"]


def test_a_chinese_word_inside_the_body_is_found(shelf):
    assert _titles(shelf, "润滑油") == ["抽屉滑轨异响"]


def test_a_question_in_the_customers_words_finds_the_article_by_similarity(shelf):
    article("衣柜柜门关不严的调整", "调节铰链。", audience=ArticleAudience.CUSTOMER)
    found = _titles(shelf, "我家衣柜门关不严怎么办", reader="customer")
    assert found == ["衣柜柜门关不严的调整"]


def test_english_terms_match_in_any_case_and_order(shelf):
    assert _titles(shelf, "SCREW hinge") == ["Hinge adjustment"]


def test_percent_and_underscore_in_a_query_match_literally(shelf):
    assert _titles(shelf, "100%") == ["100% 满意的安装_检查表"]
    assert _titles(shelf, "安装_检查") == ["100% 满意的安装_检查表"]
    assert _titles(shelf, "%") == ["100% 满意的安装_检查表"]
    assert _titles(shelf, "_") == ["100% 满意的安装_检查表"]


def test_title_hits_come_before_body_hits(session):
    article("安装须知", "柜门要对齐。")
    article("柜门对齐", "按说明操作。")
    assert _titles(session, "柜门") == ["柜门对齐", "安装须知"]


def test_readers_see_only_published_articles_for_their_audience(session):
    article("柜门 技师版", audience=ArticleAudience.TECHNICIAN)
    article("柜门 客户版", audience=ArticleAudience.CUSTOMER)
    article("柜门 通用", audience=ArticleAudience.BOTH)
    article("柜门 草稿", audience=ArticleAudience.CUSTOMER, published=False)
    assert set(_titles(session, "柜门", reader="customer")) == {"柜门 客户版", "柜门 通用"}
    assert set(_titles(session, "柜门", reader="technician")) == {"柜门 技师版", "柜门 通用"}
    assert len(_titles(session, "柜门", reader="staff")) == 4


def test_filters_by_product_line_keep_untagged_articles(session):
    article("柜门 厨房", product_lines=("kitchen",))
    article("柜门 衣柜", product_lines=("wardrobe",))
    article("柜门 通用")
    assert set(_titles(session, "柜门", product_line="kitchen")) == {"柜门 厨房", "柜门 通用"}


def test_a_fault_cause_filter_wants_articles_filed_under_that_cause(session):
    article("磨损", fault_causes=("wear",))
    article("通用")
    assert _titles(session, "", fault_cause="wear") == ["磨损"]


def test_a_query_matching_nothing_finds_nothing(shelf):
    assert _titles(shelf, "洗衣机") == []


def test_the_portable_similarity_counts_shared_character_trigrams():
    assert similarity("柜门关不严怎么办", "衣柜柜门关不严的调整") == pytest.approx(0.5)
    assert similarity("洗衣机", "柜门关不严") == 0.0


def test_sqlite_finds_chinese_text_the_same_way():
    """The demo's database has no pg_trgm: terms by `instr`, questions by trigrams in Python."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        for title, body in (
            ("柜门关不严怎么办", "调节铰链。"),
            ("抽屉滑轨异响", "涂润滑油。"),
            ("100% 满意的安装_检查表", "逐项检查。"),
        ):
            draft = articles.ArticleDraft(title=title, body=body)
            written = articles.create_article(session, draft, user_id=None)
            articles.set_status(
                session, written, written.status.PUBLISHED, expected_version=None, user_id=None
            )
        session.commit()
        assert _titles(session, "柜门") == ["柜门关不严怎么办"]
        assert _titles(session, "我家柜门关不严了怎么办") == ["柜门关不严怎么办"]
        assert _titles(session, "_") == ["100% 满意的安装_检查表"]
        assert _titles(session, "洗衣机") == []
    engine.dispose()


def test_the_trigram_index_serves_chinese_substring_search(session):
    from sqlalchemy import text

    article("柜门关不严怎么办")
    with session.begin():
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = session.execute(
            text("EXPLAIN SELECT id FROM articles WHERE search_text ILIKE '%柜门关不严%'")
        ).scalars()
        assert "ix_articles_search_text_trgm" in "\n".join(plan)


def test_the_demo_articles_are_published_and_found_by_a_customers_question(session):
    from app.demo_articles import ARTICLES, seed_articles

    assert seed_articles(session, author_user_id=None) == len(ARTICLES)
    session.commit()
    assert _titles(session, "我家衣柜门关不严了", reader="customer") == ["柜门关不严怎么办"]
