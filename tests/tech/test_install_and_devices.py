"""Installability, signing out, and cutting off a lost phone from another one."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from app import models
from tests.tech.conftest import open_phone


def test_the_app_is_installable_with_a_controlling_service_worker(installed_phone, tech_day):
    phone, page = installed_phone, installed_phone.page
    phone.sign_in(tech_day.technician.user)
    phone.wait_controlled()
    manifest_href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.request.get(f"{phone.base_url}{manifest_href}").json()
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/tech/"
    assert manifest["name"]
    assert manifest["theme_color"]
    for icon in manifest["icons"]:
        response = page.request.get(f"{phone.base_url}{icon['src']}")
        assert response.headers["content-type"] == "image/png"
        width, height = Image.open(io.BytesIO(response.body())).size
        assert f"{width}x{height}" == icon["sizes"]
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    worker = page.evaluate(
        """async () => {
          const registration = await navigator.serviceWorker.getRegistration('/tech/');
          return {scope: registration.scope, active: registration.active.state,
                  controller: navigator.serviceWorker.controller.scriptURL};
        }"""
    )
    assert worker["scope"] == f"{phone.base_url}/tech/"
    assert worker["active"] == "activated"
    assert worker["controller"] == f"{phone.base_url}/tech/sw.js"
    # The shell opens from the cache without network, straight at a deep link.
    phone.offline()
    page.goto(f"{phone.base_url}/tech/#/visit/{tech_day.repair.id}")
    page.wait_for_selector(f"#visit[data-visit='{tech_day.repair.id}']")


def test_signing_out_revokes_the_phones_token_and_clears_its_data(tech_phone, tech_day, session):
    phone, page = tech_phone, tech_phone.page
    phone.sign_in(tech_day.technician.user)
    page.click("#tab-settings")
    page.click("#sign-out")
    page.wait_for_selector("#sign-in-form")
    session.expire_all()
    live = select(func.count()).select_from(models.AuthToken)
    assert session.scalar(live.where(models.AuthToken.revoked_at.is_(None))) == 0
    assert page.evaluate("import('/tech/static/js/store.js').then((s) => s.countRecords())") == 0


def test_a_lost_phone_is_cut_off_from_the_new_one(tech_phone, phone_browser, tech_day):
    lost = tech_phone
    lost.sign_in(tech_day.technician.user)
    new = open_phone(phone_browser, lost.base_url)
    try:
        new.sign_in(tech_day.technician.user)
        new.page.click("#tab-settings")
        new.page.wait_for_selector("#devices li[data-device]")
        expect(new.page.locator("#devices li[data-device]")).to_have_count(2)
        new.shoot("tech-settings")
        new.page.click("#devices button[data-action=retire]")
        new.page.wait_for_selector("#devices button[data-action=retire]", state="detached")
    finally:
        new.context.close()
    # The lost phone's next sync is refused: it forgets its data and asks for a sign-in.
    lost.page.click("#sync-now")
    lost.page.wait_for_selector("#sign-in-form")
    assert "重新登录" in lost.page.locator("#sign-in-error").inner_text()
    assert (
        lost.page.evaluate("import('/tech/static/js/store.js').then((s) => s.countRecords())") == 0
    )
