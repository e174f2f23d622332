"""The customers' help pages: search in Chinese, read, answer "did this help?", no account."""

from __future__ import annotations

from sqlalchemy import select

from app.models import ArticleAudience, ArticleFeedback, ArticleReaction
from tests.factories import article


def test_a_chinese_query_lists_matching_customer_articles_only(zh_client, session):
    shown = article("柜门关不严怎么办", audience=ArticleAudience.CUSTOMER)
    article("柜门铰链更换 技师", audience=ArticleAudience.TECHNICIAN)
    article("柜门草稿", audience=ArticleAudience.CUSTOMER, published=False)
    page = zh_client.get("/help", query_string={"q": "柜门"})
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert f'id="help-article-{shown.id}"' in page.text
    assert "技师" not in page.text
    assert "柜门草稿" not in page.text
    assert '<html lang="zh-CN">' in page.text


def test_nothing_found_says_so_in_english(client, session):
    page = client.get("/help?q=洗衣机")
    assert "No article matches “洗衣机”" in page.text


def test_reading_an_article_counts_a_view_and_a_yes_counts_a_vote(client, session):
    shown = article("柜门关不严怎么办", audience=ArticleAudience.BOTH)
    page = client.get(f"/help/articles/{shown.id}")
    assert "<strong>铰链</strong>" in page.text
    answer = client.post(f"/help/articles/{shown.id}", data={"helped": "yes"})
    assert 'id="help-thanks"' in answer.text
    rows = session.scalars(select(ArticleFeedback.reaction)).all()
    assert sorted(rows) == [ArticleReaction.HELPED, ArticleReaction.VIEW]


def test_a_missing_answer_asks_again_and_records_nothing(client, session):
    shown = article(audience=ArticleAudience.CUSTOMER)
    page = client.post(f"/help/articles/{shown.id}", data={"helped": "maybe"})
    assert page.status_code == 422
    assert "Please choose yes or no." in page.text
    assert (
        session.scalars(select(ArticleFeedback).where(ArticleFeedback.reaction != "view")).all()
        == []
    )


def test_technician_articles_and_drafts_are_not_there(client, session):
    internal = article(audience=ArticleAudience.TECHNICIAN)
    assert client.get(f"/help/articles/{internal.id}").status_code == 404
    assert client.post(f"/help/articles/{internal.id}", data={"helped": "yes"}).status_code == 404


def test_the_help_pages_are_throttled_per_address(app, client, session, settings, monkeypatch):
    monkeypatch.setitem(app.extensions, "settings", settings.replace(kb_rate_limit="2 per minute"))
    codes = [client.get("/help").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
