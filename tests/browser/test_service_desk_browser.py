"""The service desk in a real headless Chromium.

A day at the desk, in Chinese (the product's first language): a call becomes a request, the
customer is found, the inbox is worked, a complaint is taken to closed, a customer at risk is
taken in hand, an SLA policy is edited and the order pipeline is read. An English browser gets
every desk page in English. (The flows' English messages are specified page by page in
tests/console/test_service_desk_pages.py.) Screenshots land in test-artifacts/ (docs/console/
keeps the Chinese ones).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import models
from app.database import utcnow
from app.services.customer_record import refresh_tags
from tests.browser.conftest import ARTIFACTS, DESKTOP
from tests.browser.sign_in import sign_in_console
from tests.factories import (
    ComplaintFactory,
    CustomerFactory,
    OrderFactory,
    RatingFactory,
    SiteFactory,
    SlaPolicyFactory,
    VisitFactory,
    unique,
)

# the order number searched for: digits alone also turn up in generated phone numbers
ORDER_NUMBER = unique("KT-2026-0042-")
# What each page says: the heading proves the page speaks the reader's language.
SAYS = {
    "intake": "新建服务请求",
    "taken": "已为 王芳 登记请求",
    "inbox": "新服务请求",
    "phone": "电话来电",
    "customers": "客户",
    "complaints": "投诉工作台",
    "closed": "该投诉已关闭。",
    "churn": "有流失风险的客户",
    "sla": "SLA 策略",
    "saved": "已保存",
    "refused": "解决时限不能短于响应时限",
    "pipeline": "订单进度看板",
    "design": "设计",
    "kitchen": "厨房",
}


def signed_in_admin(new_page: Any, app: Any, live_server: str, admin: Any, language: str) -> Any:
    """The board, signed in as an admin, the browser set to `language`."""
    page = new_page(locale=language, **DESKTOP)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in_console(page, app, live_server, admin.email)
    page.goto(f"{live_server}/console/board")
    page.wait_for_selector("#board")
    assert page.locator("html").get_attribute("lang") == language
    return page


@pytest.fixture
def desk(new_page, app, live_server, admin) -> tuple[Any, str, dict[str, str]]:
    """(page, language, texts): signed in as an admin, the browser set to Chinese."""
    return signed_in_admin(new_page, app, live_server, admin, "zh-CN"), "zh-CN", SAYS


def shoot(page: Any, name: str, language: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"desk-{name}-{language}.png"), full_page=True)


@pytest.fixture
def known_customer(session) -> models.Customer:
    """A gold customer with a kitchen order in design, an open complaint, a request waiting."""
    site = SiteFactory(
        address="上海市徐汇区淮海中路 1200 号",
        customer=CustomerFactory(name="李娜", phone="13900001111", tier=models.CustomerTier.GOLD),
    )
    order = OrderFactory(
        customer=site.customer,
        site=site,
        reference=ORDER_NUMBER,
        stage=models.OrderStage.DESIGN,
        created_at=utcnow() - dt.timedelta(days=12),
    )
    VisitFactory(site=site, order=order, description="柜门无法关闭")
    ComplaintFactory(
        customer_id=site.customer_id,
        summary="安装后柜门有划痕",
        due_at=utcnow() + dt.timedelta(hours=2),
    )
    return site.customer


def test_a_call_becomes_a_request_in_the_inbox(desk, live_server, session, known_customer):
    page, language, says = desk
    SlaPolicyFactory(response_min=24 * 60, resolution_min=48 * 60)
    page.click("#nav-intake")
    assert page.locator("#intake-title").text_content() == says["intake"]
    page.fill("#intake-q", "王芳")
    page.click("#intake-search button")
    page.wait_for_selector("#intake-no-match")
    page.fill("#customer-phone", "13700002222")
    page.fill("#site-address", "上海市浦东新区世纪大道 88 号")
    page.fill("#site-lat", "31.23")
    page.fill("#site-lon", "121.52")
    page.select_option("#product-line", "wardrobe")
    page.fill("#description", "衣柜门铰链松动")
    page.select_option("#priority", "2")
    shoot(page, "intake", language)
    page.click("#take-call")
    flash = page.wait_for_selector(".flash-success").text_content()
    assert says["taken"] in flash

    page.click("#nav-inbox")
    assert page.locator("#inbox-title").text_content() == says["inbox"]
    rows = page.locator("#inbox tr[data-new-visit]")
    assert rows.count() == 2
    assert says["phone"] in rows.nth(1).locator(".source").text_content()
    shoot(page, "inbox", language)
    waiting = rows.first.get_attribute("data-new-visit")
    rows.first.locator("button.cancel").click()
    page.wait_for_selector(".flash-success")
    expect(page.locator(f'#inbox tr[data-new-visit="{waiting}"]')).to_have_count(0)
    session.expire_all()
    assert session.get(models.Visit, int(waiting)).status == models.VisitStatus.CANCELLED


def test_a_bad_call_says_what_is_missing_and_writes_nothing(desk, session):
    page, _language, _says = desk
    page.click("#nav-intake")
    page.fill("#customer-name", "王芳")
    page.fill("#site-address", "上海市浦东新区世纪大道 88 号")
    page.click("#take-call")
    error = page.wait_for_selector(".flash-error").text_content()
    assert "customer_phone" in error or "电话" in error or "phone" in error
    session.expire_all()
    assert session.scalars(select(models.Customer)).all() == []


def test_the_customer_is_found_by_order_number_and_leads_to_the_complaint(
    desk, session, known_customer
):
    page, language, says = desk
    CustomerFactory(name="王伟", tier=models.CustomerTier.STANDARD)
    page.click("#nav-customers")
    assert page.locator("#customers-title").text_content() == says["customers"]
    expect(page.locator("#customer-list tr[data-customer]")).to_have_count(2)
    page.select_option("#customer-tier-filter", "gold")
    page.click("#customer-search-go")
    expect(page.locator("#customer-list tr[data-customer]")).to_have_count(1)
    page.select_option("#customer-tier-filter", "")
    page.fill("#customer-q", ORDER_NUMBER)
    page.click("#customer-search-go")
    expect(page.locator("#customer-list tr[data-customer]")).to_have_count(1)
    shoot(page, "customers", language)
    page.click("#customer-list a")
    page.wait_for_selector("#customer-name")
    assert "李娜" in page.locator("#customer-name").text_content()
    page.click("#customer-complaints a")
    page.wait_for_selector("#complaint-title")
    assert "安装后柜门有划痕" in page.locator(".facts").first.text_content()


def test_a_complaint_is_worked_from_the_workbench_to_closed(desk, session, known_customer):
    page, language, says = desk
    page.click("#nav-complaints")
    assert page.locator("#complaints-title").text_content() == says["complaints"]
    expect(page.locator('[data-stage="reported"] .card')).to_have_count(1)
    shoot(page, "complaints", language)
    page.click('[data-stage="reported"] .card a.card-title')
    page.wait_for_selector("#advance-form")
    page.select_option("#owner", index=1)
    page.click("#advance")
    page.wait_for_selector(".flash-success")
    page.select_option("#cause", "workmanship")
    page.click("#advance")
    page.wait_for_selector("#action-taken")
    page.fill("#action-taken", "更换柜门面板")
    page.click("#advance")
    page.wait_for_selector("#customer-answer")
    page.fill("#customer-answer", "客户满意")
    shoot(page, "complaint", language)
    page.click("#advance")
    page.wait_for_selector('#advance-form input[name="to"][value="closed"]', state="attached")
    page.click("#advance")
    page.wait_for_selector("#next-step .empty")
    assert page.locator("#next-step .empty").text_content() == says["closed"]
    # The header and one row per move (the factory opened it without a first step).
    expect(page.locator("#complaint-history tr")).to_have_count(1 + 5)
    session.expire_all()
    complaint = session.scalars(select(models.Complaint)).one()
    assert complaint.stage == models.ComplaintStage.CLOSED


def test_a_customer_at_risk_is_flagged_on_the_board_and_taken_in_hand(desk, live_server, session):
    page, language, says = desk
    customer = CustomerFactory(name="陈静", tier=models.CustomerTier.VIP)
    for csat in (1, 2):
        visit = VisitFactory(
            site=SiteFactory(customer=customer), status=models.VisitStatus.COMPLETED
        )
        RatingFactory(
            visit_id=visit.id, customer_id=customer.id, csat=csat, nps=3, comment="师傅迟到两小时"
        )
    refresh_tags(session, customer)
    session.commit()
    page.goto(f"{live_server}/console/board")
    assert "陈静" in page.locator("#customer-alerts").text_content()
    page.click("#nav-churn")
    assert page.locator("#churn-title").text_content() == says["churn"]
    expect(page.locator("#churn-list tr[data-customer]")).to_have_count(1)
    shoot(page, "churn", language)
    page.click("#churn-list button.ack")
    page.wait_for_selector(".flash-success")
    page.click("#nav-board")
    page.wait_for_selector("#board")
    expect(page.locator("#customer-alerts")).to_have_count(0)


def test_an_admin_edits_the_sla_policies_and_bad_targets_are_refused(desk, session):
    page, language, says = desk
    page.click("#nav-sla")
    assert page.locator("#sla-title").text_content() == says["sla"]
    page.fill("#policy-name", "VIP 维修")
    page.select_option("#policy-kind", "repair")
    page.select_option("#policy-tier", "vip")
    page.fill("#policy-response", "120")
    page.fill("#policy-resolution", "60")
    page.click("#save-policy")
    assert says["refused"] in page.wait_for_selector(".flash-error").text_content()
    page.fill("#policy-name", "VIP 维修")
    page.select_option("#policy-kind", "repair")
    page.select_option("#policy-tier", "vip")
    page.fill("#policy-response", "120")
    page.fill("#policy-resolution", "480")
    page.click("#save-policy")
    assert says["saved"] in page.wait_for_selector(".flash-success").text_content()
    expect(page.locator("#policies tr[data-policy]")).to_have_count(1)
    page.click("a.edit-policy")
    page.fill("#policy-resolution", "600")
    page.click("#save-policy")
    page.wait_for_selector(".flash-success")
    shoot(page, "sla", language)
    session.expire_all()
    policy = session.scalars(select(models.SlaPolicy)).one()
    assert (policy.kind, policy.tier, policy.resolution_min) == ("repair", "vip", 600)


def test_the_order_pipeline_shows_stages_counts_and_ageing(desk, session, known_customer):
    page, language, says = desk
    for days, stage in ((3, "design"), (45, "production"), (1, "lead"), (0, "closed")):
        OrderFactory(
            stage=models.OrderStage(stage), created_at=utcnow() - dt.timedelta(days=days)
        )
    page.click("#nav-pipeline")
    assert page.locator("#pipeline-title").text_content() == says["pipeline"]
    design = page.locator('#pipeline [data-stage="design"]')
    assert says["design"] in design.locator("h2").text_content()
    assert design.locator(".count").text_content() == "2"
    expect(page.locator('#pipeline [data-stage="production"] .card.age-stuck')).to_have_count(1)
    assert says["kitchen"] in design.text_content()
    shoot(page, "pipeline", language)


# What each desk page is headed in English, by the navigation link that opens it.
ENGLISH_TITLES = {
    "intake": "New service request",
    "inbox": "New requests",
    "customers": "Customers",
    "complaints": "Complaint workbench",
    "churn": "Customers at risk of leaving",
    "sla": "SLA policies",
    "pipeline": "Order pipeline",
}


def test_an_english_browser_gets_every_desk_page_in_english(
    new_page, app, live_server, admin, session, known_customer
):
    page = signed_in_admin(new_page, app, live_server, admin, "en")
    for name, title in ENGLISH_TITLES.items():
        page.click(f"#nav-{name}")
        assert page.locator(f"#{name}-title").text_content() == title
        assert page.locator("html").get_attribute("lang") == "en"
    design = page.locator('#pipeline [data-stage="design"]')
    assert "design" in design.locator("h2").text_content()
    assert "kitchen" in design.text_content()
    page.click("#nav-complaints")
    page.click('[data-stage="reported"] .card a.card-title')
    expect(page.locator("#complaint-title")).to_contain_text("Complaint ")
    page.click("#nav-customers")
    page.click("#customer-list a")
    expect(page.locator("#customer-complaints h2")).to_have_text("Complaints")
    page.click("#nav-sla")
    page.fill("#policy-name", "VIP repairs")
    page.fill("#policy-response", "120")
    page.fill("#policy-resolution", "480")
    page.click("#save-policy")
    assert "saved" in page.wait_for_selector(".flash-success").text_content()
    page.click("#nav-articles")
    assert page.locator("#nav-articles").text_content() == "Knowledge base"
