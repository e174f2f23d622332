"""A customer asking for a repair is first offered the help article that fixes it (390 x 844)."""

from __future__ import annotations

from sqlalchemy import select

from app import models
from app.database import db
from tests import factories
from tests.customer.test_customer_browser import _fits_the_phone, _shot


def test_the_article_that_solves_it_ends_the_request_without_a_visit(
    live_server, phone_browser, order
):
    # Chinese, the product's first language; the English texts of the same pages come from
    # the server alike (test_repair_suggestions.py).
    hinge = factories.article(
        "柜门合页松了怎么办",
        "## 拧紧合页\n\n用十字螺丝刀拧紧**合页螺丝**。",
        audience=models.ArticleAudience.CUSTOMER,
    )
    page = phone_browser("zh-CN")
    page.goto(f"{live_server}/request")
    page.fill("#phone", "138 0013 8000")
    page.fill("#order_number", "KC-2026-0001")
    page.fill("#description", "柜门合页松了，门关不上")  # noqa: RUF001
    page.click("#next")
    page.wait_for_selector("#suggestions")
    assert "这些方法能解决您的问题吗" in page.locator("#suggestions h1").inner_text()
    assert page.locator(f"#suggestion-{hinge.id} strong").inner_text() == "合页螺丝"
    _fits_the_phone(page)
    _shot(page, "request-suggestion-zh-CN")
    page.click(f"#solved-{hinge.id}")
    page.wait_for_selector("#request-solved")
    assert "问题已解决" in page.locator("#request-solved").inner_text()
    assert db.session.scalar(select(models.RepairRequest)) is None
    votes = db.session.scalars(
        select(models.ArticleFeedback.reaction).where(
            models.ArticleFeedback.context == "repair_request"
        )
    ).all()
    db.session.commit()
    assert sorted(votes) == ["helped", "view"]
