"""The customer pages in a real headless Chromium at a phone's size (390 x 844), both languages."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import func, select

from app import models
from app.database import db
from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _fits_the_phone(page) -> None:
    # 390-px first: nothing wider than the screen, so nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_progress_page_in_chinese_then_english(
    live_server, phone_browser, order, progress_token, booked_visit, finished_install
):
    page = phone_browser("zh-CN")
    page.goto(f"{live_server}/p/{progress_token(order)}")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator('#steps li[aria-current="step"]').inner_text().startswith("设计")
    assert page.locator("#technician").inner_text() == "王师傅"
    assert page.locator("#visit-window").inner_text() == "09:00\u201312:00"
    expect(page.locator("#past-visits img")).to_have_count(1)
    assert page.locator("#past-visits .rate-link").inner_text() == "评价这次服务"
    _fits_the_phone(page)
    _shot(page, "progress-zh")
    page.click("#switch-language")
    page.wait_for_selector('html[lang="en"]')
    assert page.locator("#technician").inner_text() == "伟"
    assert page.locator('#steps li[aria-current="step"]').inner_text().startswith("Design")
    _fits_the_phone(page)
    _shot(page, "progress-en")


def test_the_customer_asks_for_another_time_without_javascript(
    live_server, phone_browser, order, progress_token, booked_visit
):
    page = phone_browser("en-US", java_script_enabled=False)
    page.goto(f"{live_server}/p/{progress_token(order)}")
    page.click("#reschedule summary")
    page.locator('#reschedule input[name="window"]').nth(2).check()
    page.click("#send-reschedule")
    page.wait_for_selector("#pending-change")
    assert "we will confirm soon" in page.locator("#pending-change").inner_text()
    assert db.session.scalar(select(models.ChangeRequest.status)) == "pending"


def test_on_the_day_the_customer_sees_the_technician_coming(
    live_server, phone_browser, order, progress_token, on_the_way
):
    page = phone_browser("zh-CN")
    page.goto(f"{live_server}/p/{progress_token(order)}")
    eta = page.locator("#eta").inner_text()
    assert eta.startswith("师傅已出发 — 预计 ")
    assert eta.endswith("左右到达")
    _fits_the_phone(page)
    _shot(page, "progress-eta-zh")
    # The English estimate is the same page from the server (test_progress_page.py).


def test_a_repair_request_with_photos_reaches_the_dispatchers_inbox(
    live_server, phone_browser, order, jpeg, tmp_path, dispatcher
):
    photos = []
    for i, color in enumerate(((200, 30, 30), (30, 200, 30))):
        path = tmp_path / f"fault-{i}.jpg"
        path.write_bytes(jpeg(color))
        photos.append(str(path))
    page = phone_browser("zh-CN")
    page.goto(f"{live_server}/request")
    assert page.locator("h1").inner_text().startswith("遇到了什么问题")
    page.fill("#phone", "138 0013 8000")
    page.fill("#order_number", "KC-2026-0001")
    page.fill("#description", "水槽下的柜门掉了")
    _fits_the_phone(page)
    _shot(page, "request-describe-zh")
    page.click("#next")
    page.wait_for_selector("#photos")
    page.set_input_files("#photos", photos)
    page.locator('input[name="window"]').nth(0).check()
    page.locator('input[name="window"]').nth(3).check()
    _fits_the_phone(page)
    _shot(page, "request-details-zh")
    page.click("#submit")
    page.wait_for_selector("#request-done")
    visit_id = db.session.scalar(select(models.RepairRequest.visit_id))
    assert str(visit_id) in page.locator("#request-done").inner_text()
    visit = db.session.get(models.Visit, visit_id)
    assert (visit.kind, visit.status) == ("repair", "new")
    assert (
        db.session.scalar(
            select(func.count()).select_from(models.Photo).where(models.Photo.visit_id == visit_id)
        )
        == 2
    )

    desk = phone_browser("en-GB", viewport={"width": 1366, "height": 860}, is_mobile=False)
    desk.goto(f"{live_server}/console/login?next=/console/inbox")  # as a link to the inbox
    desk.fill("#email", dispatcher.email)
    desk.fill("#password", PASSWORD)
    desk.click("#sign-in")
    desk.wait_for_selector("#repair-requests")
    row = desk.locator(f'#repair-requests tr[data-visit="{visit_id}"]')
    assert "水槽下的柜门掉了" in row.inner_text()
    assert row.locator("td").nth(5).inner_text() == "2"
    desk.screenshot(path=str(ARTIFACTS / "console-inbox.png"), full_page=True)
    row.locator("button.acknowledge").click()
    desk.wait_for_selector(f'#seen-requests tr[data-visit="{visit_id}"]')
