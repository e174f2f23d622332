"""The console in Chinese for a Chinese browser, and the dispatcher's own language switch."""

from __future__ import annotations

from sqlalchemy import select

from app.models import User
from tests.browser.conftest import ARTIFACTS, DESKTOP
from tests.browser.test_console_browser import TOMORROW
from tests.factories import PASSWORD


def test_a_chinese_dispatcher_works_the_board_in_chinese_and_switches_to_english(
    new_page, live_server, dispatcher, day_to_plan, session
):
    page = new_page(locale="zh-CN", **DESKTOP)
    page.goto(f"{live_server}/console/login")
    assert page.locator("h1").text_content() == "登录控制台"
    page.fill("#email", dispatcher.email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.goto(f"{live_server}/console/board?day={TOMORROW}")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("#nav-board").text_content() == "派工看板"
    assert page.locator("#run-optimizer").text_content() == "智能排程当天"
    assert "待派工单" in page.locator(".waiting h2").text_content()
    assert "上门测量" in page.locator("#unassigned").text_content()
    assert "年" in page.locator("#board-title").text_content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-board-zh-CN.png"))

    page.click("#language-en")
    page.wait_for_selector("#run-optimizer")
    assert page.locator("#run-optimizer").text_content() == "Optimize this day"
    assert page.locator("html").get_attribute("lang") == "en"
    chosen = session.scalar(select(User.language).where(User.id == dispatcher.id))
    assert chosen == "en"
