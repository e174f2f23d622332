"""The knowledge base in a real browser: write, preview, publish, find it with a Chinese query.

The flow runs in Chinese; the dispatcher's switch to English then reads the page in English
(the English messages of each step: tests/console/test_articles.py)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, DESKTOP
from tests.browser.sign_in import sign_in_console
from tests.factories import article

SAYS = {
    "nav": "知识库",
    "saved": "文章已存为草稿（第 1 版）。",  # noqa: RUF001
    "published": "文章已发布（第 2 版）。",  # noqa: RUF001
    "state": "已发布",
}


@pytest.fixture
def console_page(new_page, app, live_server, dispatcher) -> Any:
    """The board, signed in as a dispatcher, the browser set to Chinese."""
    page = sign_in_console(new_page(locale="zh-CN", **DESKTOP), app, live_server, dispatcher.email)
    page.goto(f"{live_server}/console/board")
    page.wait_for_selector("#nav-articles")
    return page


def test_a_dispatcher_writes_previews_publishes_and_finds_an_article_in_chinese(
    console_page, session
):
    page = console_page
    article("抽屉滑轨异响", "清洁滑轨并涂润滑油。")

    page.click("#nav-articles")
    assert page.locator("#nav-articles").text_content() == SAYS["nav"]
    page.click("#new-article")
    page.fill("#article-title", "柜门关不严怎么办")
    page.fill(
        "#article-body", "## 调整铰链\n\n拧**深度螺丝**半圈。<script>window.hacked=1</script>"
    )
    page.select_option("#article-audience", "both")
    page.check("input[name=visit_kinds][value=repair]")
    page.click("#preview")
    preview = page.locator("#article-preview")
    assert preview.locator("h2").text_content() == "调整铰链"
    assert preview.locator("strong").text_content() == "深度螺丝"
    assert page.evaluate("window.hacked") is None
    assert page.input_value("#article-title") == "柜门关不严怎么办"  # the form keeps what was typed

    page.click("#save")
    assert SAYS["saved"] in page.locator(".flash").text_content()
    page.click("#publish")
    assert SAYS["published"] in page.locator(".flash").text_content()
    assert page.locator("#article-state").text_content() == SAYS["state"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-article-editor-zh-CN.png"), full_page=True)

    page.click("#nav-articles")
    page.fill("#article-q", "柜门")
    page.click("#article-search-go")
    expect(page.locator("#articles tbody td:first-child a")).to_have_text(["柜门关不严怎么办"])
    page.screenshot(path=str(ARTIFACTS / "console-article-search-zh-CN.png"))

    # In English (the dispatcher's switch): the same search; the article withdrawn, published again.
    page.click("#language-en")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("#nav-articles").text_content() == "Knowledge base"
    expect(page.locator("#articles tbody td:first-child a")).to_have_text(["柜门关不严怎么办"])
    page.click("#articles tbody td:first-child a")
    assert page.locator("#article-state").text_content() == "published"
    page.click("#unpublish")
    page.click("#publish")
    expect(page.locator(".flash")).to_contain_text("Article published (version 4).")
    page.screenshot(path=str(ARTIFACTS / "console-article-editor-en.png"), full_page=True)
