"""The rating page in a real headless Chromium at a phone's size: rate, submit, thanks."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app import models

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_a_customer_rates_two_stars_on_a_phone_and_sees_the_thank_you_page(
    live_server, browser_page, completed_install, rating_token, session
):
    page = browser_page
    page.goto(f"{live_server}/r/{rating_token(completed_install)}")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.locator('label[for="csat-2"]').click()
    assert page.locator("#csat-2").is_checked()
    page.locator("#comment").fill("师傅迟到了")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rating-form-phone.png"), full_page=True)
    page.locator("#submit").click()
    page.wait_for_selector("#thanks")
    assert "谢谢" in page.locator("#thanks").inner_text()
    page.screenshot(path=str(ARTIFACTS / "rating-thanks-phone.png"), full_page=True)
    session.expire_all()
    rating = session.scalar(select(models.Rating))
    assert (rating.csat, rating.comment, rating.language) == (2, "师傅迟到了", "zh")
    assert session.scalar(select(models.Complaint.customer_id)) == completed_install.customer_id
