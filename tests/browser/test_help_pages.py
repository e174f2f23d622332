"""Customers find help by themselves on a phone: a Chinese query, the article, "did this help?".

The customer reads in Chinese, then switches the article to English with the page's own link.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from app.models import ArticleAudience, ArticleFeedback, ArticleReaction
from tests.browser.conftest import ARTIFACTS
from tests.factories import article

WORDS = {
    "zh-CN": {"home": "帮助中心", "question": "这篇文章解决您的问题了吗？", "thanks": "很高兴"},  # noqa: RUF001
    "en": {"home": "Help center", "question": "Did this solve your problem?", "thanks": "Glad"},
}


@pytest.fixture
def phone_page(new_page, live_server) -> Any:
    """A page on a 390-pixel phone whose browser asks for Chinese, and the server's address."""
    page = new_page(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    return page, live_server


def test_a_customer_finds_the_article_with_a_chinese_question_and_says_it_helped(
    phone_page, session
):
    page, server = phone_page
    words = WORDS["zh-CN"]
    wanted = article(
        "柜门关不严怎么办",
        "## 调整铰链\n\n用螺丝刀拧**深度螺丝**半圈。",
        audience=ArticleAudience.CUSTOMER,
    )
    article("抽屉滑轨异响", "清洁滑轨。", audience=ArticleAudience.CUSTOMER)
    page.goto(f"{server}/help")
    assert page.locator("#help-home").inner_text() == words["home"]
    page.fill("#help-q", "我家衣柜门关不严怎么办")
    page.click("#help-search")
    expect(page.locator("#help-results a")).to_have_text(["柜门关不严怎么办"])
    page.screenshot(path=str(_artifact("help-search-zh-CN")))
    # Nothing spills sideways on a 390-pixel phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.click(f"#help-article-{wanted.id}")
    assert page.locator("#help-article strong").inner_text() == "深度螺丝"
    assert words["question"] in page.locator("#help-vote").inner_text()
    page.click("#helped-yes")
    assert words["thanks"] in page.locator("#help-thanks").inner_text()
    page.screenshot(path=str(_artifact("help-article-zh-CN")), full_page=True)
    session.expire_all()
    reactions = sorted(r.reaction for r in session.query(ArticleFeedback).all())
    assert reactions == [ArticleReaction.HELPED, ArticleReaction.VIEW]

    # The same article in English, through the page's language link.
    words = WORDS["en"]
    page.click("#switch-language")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.locator("#help-home").inner_text() == words["home"]
    assert page.locator("#help-article strong").inner_text() == "深度螺丝"
    assert words["question"] in page.locator("#help-vote").inner_text()
    page.click("#helped-yes")
    assert words["thanks"] in page.locator("#help-thanks").inner_text()
    page.screenshot(path=str(_artifact("help-article-en")), full_page=True)


def _artifact(name: str) -> Any:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
