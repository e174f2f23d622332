"""The service desk pages: each parses, calls its service, and answers people and scripts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app import models
from app.database import utcnow
from app.services.customer_record import CHURN_RISK
from tests.factories import (
    ComplaintFactory,
    CustomerFactory,
    OrderFactory,
    RatingFactory,
    SiteFactory,
    SlaPolicyFactory,
    VisitFactory,
    tomorrow_at,
    unique,
)

DESK_PAGES = ("/intake", "/customers", "/inbox", "/complaints", "/churn", "/sla", "/pipeline")


def _window(start_hour=9, end_hour=12):
    return f"{tomorrow_at(start_hour).isoformat()}/{tomorrow_at(end_hour).isoformat()}"


def _new_caller(**overrides):
    form = {
        "customer_name": "Zhang San",
        "customer_phone": "13912345678",
        "customer_tier": "gold",
        "site_id": "new",
        "site_address": "88 Century Ave",
        "order_id": "new",
        "product_line": "kitchen",
        "kind": "repair",
        "window": _window(),
        "priority": "2",
        "description": "Drawer runner broken",
    }
    form.update(overrides)
    return form


@pytest.mark.parametrize("path", DESK_PAGES)
def test_every_desk_page_is_for_signed_in_staff_only(app, path):
    response = app.test_client().get(f"/console{path}")
    assert response.status_code == 302
    assert "/console/login" in response.headers["Location"]


@pytest.mark.parametrize("path", DESK_PAGES)
def test_every_desk_page_is_in_the_navigation_and_in_chinese(sign_in, dispatcher, path):
    zh = sign_in(dispatcher, language="zh-CN")
    page = zh.get(f"/console{path}")
    assert page.status_code == 200, page.text
    assert f'href="/console{path}"' in page.text
    assert '<html lang="zh-CN">' in page.text
    assert "新建服务请求" in page.text  # the navigation, in Chinese


def test_a_phone_call_becomes_a_new_visit_and_starts_its_sla_clock(console, session):
    SlaPolicyFactory(response_min=240, resolution_min=480)
    response = console.post("/console/intake", _new_caller())
    assert response.status_code == 302
    visit = session.scalars(select(models.Visit)).one()
    assert response.headers["Location"].endswith(f"/console/visits/{visit.id}")
    assert (visit.customer.name, visit.customer.tier) == ("Zhang San", models.CustomerTier.GOLD)
    assert visit.order.product_line == "kitchen"
    page = console.get(response.headers["Location"])
    assert f"Request {visit.id} taken for Zhang San." in page.text
    assert "SLA clock started" in page.text
    # Four hours to be on site, a window tomorrow: the dispatcher is warned at once.
    assert "window opens after the response target" in page.text


def test_a_window_inside_the_response_target_takes_the_call_without_warning(console):
    SlaPolicyFactory(response_min=3 * 24 * 60, resolution_min=4 * 24 * 60)
    page = console.post("/console/intake", _new_caller(), follow_redirects=True)
    assert "SLA clock started" in page.text
    assert "window opens after the response target" not in page.text


def test_a_call_with_a_typed_window_uses_the_local_day_and_hours(console, session):
    day = tomorrow_at(9).date()
    form = _new_caller(
        window="custom", window_day=day.isoformat(), window_from="14:00", window_to="18:00"
    )
    assert console.post("/console/intake", form).status_code == 302
    visit = session.scalars(select(models.Visit)).one()
    assert visit.window_start == tomorrow_at(14)
    assert visit.window_end == tomorrow_at(18)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"customer_phone": ""}, "a new customer needs a phone number"),
        ({"site_address": ""}, "give the address of the visit"),
        ({"window": "custom", "window_day": "soon"}, "window"),
        ({"priority": "high"}, "priority"),
        ({"window": _window(12, 9)}, "the window must end after it starts"),
        ({"kind": "visit"}, "kind"),
    ],
)
def test_a_bad_call_is_refused_with_its_reason_and_writes_nothing(
    console, session, overrides, message
):
    response = console.post("/console/intake", _new_caller(**overrides), follow_redirects=True)
    assert message in response.text
    assert session.scalar(select(func.count()).select_from(models.Customer)) == 0


def test_a_bad_call_from_a_script_gets_the_one_error_format(console):
    response = console.client.post(
        "/console/intake",
        data={"csrf_token": console.csrf, **_new_caller(customer_phone="")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert "customer_phone" in response.json["errors"]


def test_intake_finds_the_caller_and_offers_their_sites_and_orders(console):
    address = unique("1200 Huaihai Rd ")
    number = unique("KT-")
    site = SiteFactory(address=address)
    OrderFactory(customer=site.customer, site=site, reference=number)
    found = console.get(f"/console/intake?q={number}")
    assert site.customer.name in found.text
    chosen = console.get(f"/console/intake?customer_id={site.customer_id}")
    assert address in chosen.text
    assert number in chosen.text


def test_the_customer_list_searches_literally_and_filters(console):
    CustomerFactory(name="100% Wood", tier=models.CustomerTier.GOLD, tags=[CHURN_RISK])
    CustomerFactory(name="1000 Wood")
    page = console.get("/console/customers?q=100%25")
    assert "100% Wood" in page.text
    assert "1000 Wood" not in page.text
    page = console.get(f"/console/customers?tier=gold&tag={CHURN_RISK}")
    assert "100% Wood" in page.text
    assert "1000 Wood" not in page.text
    assert console.get("/console/customers?tier=platinum").status_code == 422


def test_the_customer_page_links_orders_visits_and_complaints(console):
    site = SiteFactory()
    order = OrderFactory(customer=site.customer, site=site)
    visit = VisitFactory(site=site, order=order)
    complaint = ComplaintFactory(customer_id=site.customer_id)
    page = console.get(f"/console/customers/{site.customer_id}").text
    assert f'id="order-{order.id}"' in page
    assert f'href="#entry-{visit.id}"' in page
    assert f'href="/console/complaints/{complaint.id}"' in page


def test_the_inbox_lists_new_requests_with_source_and_cancels_one(console, session):
    console.post("/console/intake", _new_caller())
    other = VisitFactory()
    page = console.get("/console/inbox").text
    assert "phone call" in page
    assert f'data-new-visit="{other.id}"' in page
    response = console.post(f"/console/inbox/{other.id}/cancel", {"version": other.version})
    assert response.status_code == 302
    session.refresh(other)
    assert other.status == models.VisitStatus.CANCELLED
    assert f'data-new-visit="{other.id}"' not in console.get("/console/inbox").text


def test_a_complaint_is_worked_to_closed_from_the_workbench(console, session, dispatcher):
    complaint = ComplaintFactory(customer_id=CustomerFactory().id, due_at=utcnow())
    steps = [
        {"to": "assigned", "owner_user_id": dispatcher.id},
        {"to": "root_cause", "cause_category": "workmanship"},
        {"to": "corrective_action", "action_taken": "Replaced the panel"},
        {"to": "customer_feedback", "customer_answer": "Happy now"},
        {"to": "closed", "note": "done"},
    ]
    assert f'href="/console/complaints/{complaint.id}"' in console.get("/console/complaints").text
    for step in steps:
        session.refresh(complaint)
        response = console.post(
            f"/console/complaints/{complaint.id}/advance", {**step, "version": complaint.version}
        )
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/console/complaints/{complaint.id}")
    session.refresh(complaint)
    assert complaint.stage == models.ComplaintStage.CLOSED
    assert complaint.action_taken == "Replaced the panel"
    assert "This complaint is closed." in console.get(f"/console/complaints/{complaint.id}").text


def test_a_stage_without_its_required_field_is_refused_and_named(console, session):
    complaint = ComplaintFactory(customer_id=CustomerFactory().id)
    response = console.post(
        f"/console/complaints/{complaint.id}/advance", {"to": "assigned"}, follow_redirects=True
    )
    assert "moving the complaint to assigned needs more" in response.text
    session.refresh(complaint)
    assert complaint.stage == models.ComplaintStage.REPORTED


def test_a_stale_complaint_form_is_refused(console, session, dispatcher):
    complaint = ComplaintFactory(customer_id=CustomerFactory().id)
    response = console.client.post(
        f"/console/complaints/{complaint.id}/advance",
        data={
            "csrf_token": console.csrf,
            "to": "assigned",
            "owner_user_id": dispatcher.id,
            "version": complaint.version + 5,
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409


def test_a_new_churn_risk_shows_on_the_board_until_taken_in_hand(console, session):
    customer = CustomerFactory(name="Wary Customer")
    for _ in range(2):
        visit = VisitFactory(
            site=SiteFactory(customer=customer), status=models.VisitStatus.COMPLETED
        )
        RatingFactory(
            visit_id=visit.id,
            customer_id=customer.id,
            csat=1,
            nps=1,
            created_at=utcnow() - dt.timedelta(days=1),
        )
    from app.services.customer_record import refresh_tags

    refresh_tags(session, customer)
    session.commit()
    board = console.get("/console/board").text
    assert 'id="customer-alerts"' in board
    assert "Wary Customer" in board
    assert "Wary Customer" in console.get("/console/churn").text
    alert = session.scalars(select(models.CustomerAlert)).one()
    response = console.post(
        f"/console/customer-alerts/{alert.id}/acknowledge", {"next": "/console/board"}
    )
    assert response.headers["Location"].endswith("/console/board")
    assert 'id="customer-alerts"' not in console.get("/console/board").text


def test_an_admin_saves_an_sla_policy_and_bad_targets_are_refused(sign_in, admin, session):
    console = sign_in(admin)
    form = {
        "name": "Repairs VIP",
        "kind": "repair",
        "tier": "vip",
        "priority": "",
        "response_min": "120",
        "resolution_min": "480",
        "warn_before_min": "30",
        "active": "on",
    }
    assert console.post("/console/sla", form).status_code == 302
    policy = session.scalars(select(models.SlaPolicy)).one()
    assert (policy.kind, policy.tier, policy.priority) == ("repair", "vip", None)
    bad = console.post(
        "/console/sla",
        {**form, "policy_id": policy.id, "resolution_min": "60"},
        follow_redirects=True,
    )
    assert "the resolution target cannot be shorter than the response target" in bad.text
    typo = console.post(
        "/console/sla", {**form, "response_min": "two hours"}, follow_redirects=True
    )
    assert "response_min" in typo.text
    clash = console.post("/console/sla", form, follow_redirects=True)
    assert "already covers this kind, priority and tier" in clash.text
    session.refresh(policy)
    assert policy.resolution_min == 480


def test_a_dispatcher_reads_the_sla_policies_but_cannot_change_them(console, session):
    SlaPolicyFactory(name="Catch-all")
    page = console.get("/console/sla").text
    assert "Catch-all" in page
    assert 'id="policy-form"' not in page
    refused = console.post(
        "/console/sla", {"name": "x", "response_min": "1", "resolution_min": "2"}
    )
    assert refused.status_code == 403


def test_the_pipeline_shows_each_stage_with_its_count_and_ageing(console):
    OrderFactory(
        stage=models.OrderStage.DESIGN,
        created_at=utcnow() - dt.timedelta(days=45),
        reference="OLD-1",
    )
    OrderFactory(stage=models.OrderStage.DESIGN, reference="NEW-1")
    page = console.get("/console/pipeline").text
    assert 'data-stage="design"' in page
    assert "OLD-1" in page
    assert "45 d" in page
    assert 'class="card age-stuck"' in page
    assert console.get("/console/pipeline?product_line=boat").status_code == 422


def test_complaints_on_the_board_lead_to_their_page(console):
    complaint = ComplaintFactory(
        customer_id=CustomerFactory().id, due_at=utcnow() + dt.timedelta(hours=1)
    )
    board = console.get("/console/board").text
    assert f'href="/console/complaints/{complaint.id}"' in board


@pytest.mark.parametrize(
    "path",
    [
        "/console/intake?customer_id=99999999999999999999",
        "/console/intake?customer_id=abc",
        "/console/sla?edit=-1",
        "/console/customers?page=x",
    ],
)
def test_a_bad_id_in_the_address_is_a_clear_422(console, path):
    response = console.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"


def test_a_bad_version_on_a_cancel_is_refused_not_a_server_error(console):
    visit = VisitFactory()
    response = console.client.post(
        f"/console/inbox/{visit.id}/cancel",
        data={"csrf_token": console.csrf, "version": "latest"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422


def test_a_known_customer_with_someone_elses_order_gets_no_new_address(console, session):
    customer, stranger = CustomerFactory(), OrderFactory()
    form = _new_caller(customer_id=customer.id, order_id=stranger.id)
    response = console.post("/console/intake", form, follow_redirects=True)
    assert "choose one of the customer&#39;s orders" in response.text
    assert session.scalar(select(func.count()).select_from(models.Site)) == 0
