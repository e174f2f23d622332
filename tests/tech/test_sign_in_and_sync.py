"""The technician app in a real browser: sign in, first sync, today's route, other days."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from app import models


def test_a_technician_signs_in_and_sees_todays_route_in_order(tech_phone, tech_day, session):
    phone = tech_phone
    phone.sign_in(tech_day.technician.user)
    page = phone.page
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    rows = page.locator("#route li.visit")
    expected = [tech_day.install.id, tech_day.measure.id, tech_day.repair.id]
    assert [int(r.get_attribute("data-visit")) for r in rows.all()] == expected
    first = rows.first.inner_text()
    for shown in ("09:00", "张伟", "世纪大道", "安装", "时限"):  # time, who, where, kind, SLA
        assert shown in first
    phone.shoot("tech-today-zh")
    # The phone registered as a device of this technician with a device-bound token.
    session.expire_all()
    device = session.scalar(select(models.Device))
    assert device.technician_id == tech_day.technician.id
    assert device.device_id == page.evaluate(
        "import('/tech/static/js/store.js').then((s) => s.getMeta('device_id'))"
    )
    # Only the device token stays alive: the password sign-in token was given back (the app
    # does not wait for that answer, so give the server a moment).
    live = select(func.count()).select_from(models.AuthToken)
    live = live.where(models.AuthToken.revoked_at.is_(None))
    deadline = time.monotonic() + 10
    while session.scalar(live) != 1 and time.monotonic() < deadline:
        session.rollback()
        time.sleep(0.1)
    assert session.scalar(live) == 1

    page.click("#tab-days")
    page.wait_for_selector(f".other-day li[data-visit='{tech_day.tomorrow.id}']")
    assert "刘洋" in page.locator(".other-day").first.inner_text()


def test_the_app_switches_to_english_and_keeps_the_choice(tech_phone, tech_day):
    phone = tech_phone
    phone.sign_in(tech_day.technician.user)
    page = phone.page
    page.click("#tab-settings")
    page.click("#lang-en")
    page.click("#tab-today")
    page.wait_for_selector("#route")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Install" in page.locator("#route li.visit").first.inner_text()
    page.reload()
    page.wait_for_selector("#route li.visit")
    assert "Today" in page.locator("#tab-today").inner_text()
    phone.shoot("tech-today-en")


def test_a_wrong_password_is_said_plainly(tech_phone, technician):
    page = tech_phone.page
    page.goto(f"{tech_phone.base_url}/tech/")
    page.fill("#email", technician.user.email)
    page.fill("#password", "not-the-password")
    page.click("#sign-in")
    page.wait_for_function("document.querySelector('#sign-in-error').textContent.includes('错误')")
