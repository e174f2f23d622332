"""The service desk services: phone intake, customer search, inbox, complaints, churn, pipeline."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import models
from app.database import utcnow
from app.errors import Conflict, ValidationFailed
from app.services import (
    churn,
    complaint_workbench,
    complaints,
    customer_directory,
    inbox,
    intake,
    pipeline,
)
from app.services.customer_record import CHURN_RISK, refresh_tags
from app.services.orders import set_order_stage
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
from tests.statements import statements

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _call(**overrides):
    fields = {
        "kind": models.VisitKind.REPAIR,
        "window_start": tomorrow_at(9),
        "window_end": tomorrow_at(12),
        "priority": 2,
        "new_customer": intake.NewCustomer(name="Zhang San", phone="13912345678"),
        "new_site": intake.NewSite(address="88 Century Ave", lat=31.23, lon=121.5),
        "product_line": "wardrobe",
    }
    fields.update(overrides)
    return intake.PhoneRequest(**fields)


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


# --- intake ------------------------------------------------------------------------------------


def test_a_call_from_a_new_customer_writes_customer_site_order_and_a_new_visit(session):
    taken = intake.take_call(session, _call(), actor_user_id=None)
    session.commit()
    visit = taken.visit
    assert visit.status == models.VisitStatus.NEW
    assert visit.customer.name == "Zhang San"
    assert visit.site.address == "88 Century Ave"
    assert visit.order.product_line == "wardrobe"
    assert visit.order.stage == models.OrderStage.INSTALLED
    assert (visit.window_start, visit.priority) == (tomorrow_at(9), 2)
    first = session.scalars(
        select(models.VisitStatusChange).where(models.VisitStatusChange.visit_id == visit.id)
    ).one()
    assert first.source == "phone"


def test_the_sla_clock_starts_at_the_call_under_the_policy_that_applies(session):
    policy = SlaPolicyFactory(kind=models.VisitKind.REPAIR, response_min=240, resolution_min=480)
    taken = intake.take_call(session, _call(), actor_user_id=None)
    assert taken.policy_id == policy.id
    response = next(c for c in taken.clocks if c.target == "response")
    assert response.due == taken.visit.created_at + dt.timedelta(minutes=240)
    assert abs((taken.visit.created_at - utcnow()).total_seconds()) < 60


def test_a_call_from_a_known_customer_reuses_their_site_and_order(session):
    site = SiteFactory()
    order = OrderFactory(customer=site.customer, site=site)
    taken = intake.take_call(
        session,
        _call(
            new_customer=None,
            new_site=None,
            product_line=None,
            customer_id=site.customer_id,
            site_id=site.id,
            order_id=order.id,
        ),
        actor_user_id=None,
    )
    assert (taken.visit.site_id, taken.visit.order_id) == (site.id, order.id)
    assert _count(session, models.Customer) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"new_customer": intake.NewCustomer(name="", phone="1")}, "customer_name"),
        ({"new_customer": intake.NewCustomer(name="Li", phone="")}, "customer_phone"),
        ({"new_site": intake.NewSite(address=" ")}, "site_address"),
        ({"new_site": intake.NewSite(address="1 Rd", lat=31.0)}, "site_lat"),
        ({"window_end": tomorrow_at(8)}, "window_end"),
        ({"priority": 9}, "priority"),
        ({"duration_min": 240}, "duration_min"),
        ({"kind": models.VisitKind.INSTALL, "product_line": None}, "order_id"),
        ({"product_line": "boat"}, "product_line"),
    ],
)
def test_a_refused_call_names_the_field_and_writes_nothing(session, overrides, field):
    with pytest.raises(ValidationFailed) as refused:
        intake.take_call(session, _call(**overrides), actor_user_id=None)
    session.rollback()
    assert field in refused.value.fields
    assert [_count(session, m) for m in (models.Customer, models.Site, models.Order)] == [0, 0, 0]
    assert _count(session, models.Visit) == 0


def test_a_new_customer_with_a_known_phone_number_is_refused(session):
    known = CustomerFactory(name="Zhang San", phone="13912345678")
    with pytest.raises(ValidationFailed) as refused:
        intake.take_call(session, _call(), actor_user_id=None)
    assert refused.value.details == {"customer_id": known.id}
    assert "customer_phone" in refused.value.fields


def test_another_customers_site_is_refused(session):
    mine, theirs = CustomerFactory(), SiteFactory()
    with pytest.raises(ValidationFailed) as refused:
        intake.take_call(
            session,
            _call(new_customer=None, customer_id=mine.id, new_site=None, site_id=theirs.id),
            actor_user_id=None,
        )
    assert "site_id" in refused.value.fields


def test_the_proposed_windows_skip_sundays_and_start_tomorrow():
    monday_noon = dt.datetime(2026, 11, 28, 12, tzinfo=SHANGHAI)  # a Saturday
    windows = intake.proposed_windows(monday_noon, SHANGHAI)
    days = sorted({w.start.date() for w in windows})
    assert days[0] == dt.date(2026, 11, 30)
    assert dt.date(2026, 11, 29) not in days
    assert len(days) == intake.OFFERED_DAYS
    assert all(w.end > w.start for w in windows)


# --- customers ---------------------------------------------------------------------------------


def test_customers_are_found_by_address_and_order_number(session):
    street = unique("Huaihai Rd ")
    number = unique("KT-2026-")
    site = SiteFactory(address=f"1200 {street}")
    OrderFactory(customer=site.customer, reference=number)
    CustomerFactory(name="Someone else")
    # Part of the street and of the order number, text no other customer can hold.
    for text in (street.removeprefix("Huaihai "), number.removeprefix("KT-")):
        found = customer_directory.find_customers(
            session, customer_directory.CustomerFilter(text=text)
        )
        assert [r.customer.id for r in found.rows] == [site.customer_id]


def test_percent_and_underscore_in_the_search_match_themselves(session):
    CustomerFactory(name="100% Wood")
    CustomerFactory(name="1000 Wood")
    CustomerFactory(name="A_B Ltd")
    CustomerFactory(name="AxB Ltd")
    names = [
        [
            r.customer.name
            for r in customer_directory.find_customers(
                session, customer_directory.CustomerFilter(text=text)
            ).rows
        ]
        for text in ("100%", "A_B")
    ]
    assert names == [["100% Wood"], ["A_B Ltd"]]


def test_customers_filter_by_tier_and_tag(session):
    gold = CustomerFactory(tier=models.CustomerTier.GOLD, tags=[CHURN_RISK])
    CustomerFactory(tier=models.CustomerTier.GOLD)
    CustomerFactory(tags=[CHURN_RISK])
    found = customer_directory.find_customers(
        session,
        customer_directory.CustomerFilter(tier=models.CustomerTier.GOLD, tag=CHURN_RISK),
    )
    assert [r.customer.id for r in found.rows] == [gold.id]
    assert customer_directory.known_tags(session) == [CHURN_RISK]


# --- inbox -------------------------------------------------------------------------------------


def test_the_inbox_lists_new_visits_oldest_first_with_their_source(session):
    older = VisitFactory(created_at=utcnow() - dt.timedelta(hours=3))
    VisitFactory(status=models.VisitStatus.SCHEDULED)
    taken = intake.take_call(session, _call(), actor_user_id=None)
    session.commit()
    rows = inbox.new_requests(session, utcnow(), SHANGHAI)
    assert [r.visit.id for r in rows] == [older.id, taken.visit.id]
    assert rows[1].source == "phone"
    assert rows[0].waiting_min >= 179
    assert rows[1].plan_day == tomorrow_at(9).date()


def test_cancelling_from_the_inbox_goes_through_the_state_machine(session):
    visit = VisitFactory()
    inbox.cancel_request(session, visit, actor_user_id=None)
    assert visit.status == models.VisitStatus.CANCELLED
    done = VisitFactory(status=models.VisitStatus.COMPLETED)
    with pytest.raises(Conflict):
        inbox.cancel_request(session, done, actor_user_id=None)


# --- complaints --------------------------------------------------------------------------------


def test_the_workbench_groups_open_complaints_by_stage_soonest_due_first(session, dispatcher):
    customer = CustomerFactory()
    now = utcnow()
    late = ComplaintFactory(customer_id=customer.id, due_at=now - dt.timedelta(hours=1))
    soon = ComplaintFactory(customer_id=customer.id, due_at=now + dt.timedelta(hours=1))
    ComplaintFactory(
        customer_id=customer.id,
        stage=models.ComplaintStage.ASSIGNED,
        owner_user_id=dispatcher.id,
        due_at=now + dt.timedelta(days=1),
    )
    bench = complaint_workbench.workbench(session, now, warn_before_min=120)
    reported = bench.columns[0]
    assert reported.stage == models.ComplaintStage.REPORTED
    assert [k.complaint.id for k in reported.cards] == [late.id, soon.id]
    assert reported.overdue == 1
    assert bench.columns[1].cards[0].owner_name == dispatcher.name
    mine = complaint_workbench.workbench(
        session, now, warn_before_min=120, owner_user_id=dispatcher.id
    )
    assert sum(len(c.cards) for c in mine.columns) == 1


def test_the_owner_is_told_of_a_move_made_by_someone_else(session, dispatcher, admin):
    complaint = complaints.open_complaint(session, customer_id=CustomerFactory().id, summary="x")
    complaints.advance(
        session,
        complaint,
        models.ComplaintStage.ASSIGNED,
        fields={"owner_user_id": dispatcher.id},
        actor_user_id=admin.id,
    )
    complaints.advance(
        session,
        complaint,
        models.ComplaintStage.ROOT_CAUSE,
        fields={"cause_category": "workmanship"},
        actor_user_id=dispatcher.id,
    )
    session.commit()
    sent = session.scalars(
        select(models.OutboxMessage).where(models.OutboxMessage.topic == "complaint_owner")
    ).all()
    assert [m.recipient for m in sent] == [dispatcher.email]
    assert str(complaint.id) in sent[0].subject


# --- churn -------------------------------------------------------------------------------------


def _bad_verdicts(customer, count):
    for _ in range(count):
        visit = VisitFactory(
            site=SiteFactory(customer=customer), status=models.VisitStatus.COMPLETED
        )
        RatingFactory(visit_id=visit.id, customer_id=customer.id, csat=1, nps=2)


def test_a_customer_newly_at_churn_risk_raises_one_board_alert(session, dispatcher):
    customer = CustomerFactory()
    _bad_verdicts(customer, 2)
    refresh_tags(session, customer)
    refresh_tags(session, customer)
    alerts = churn.open_alerts(session)
    assert [(a.customer_id, a.kind) for a in alerts] == [(customer.id, CHURN_RISK)]
    churn.acknowledge(session, alerts[0].id, user_id=dispatcher.id)
    assert churn.open_alerts(session) == []
    with pytest.raises(Conflict):
        churn.acknowledge(session, alerts[0].id, user_id=dispatcher.id)


def test_the_churn_list_shows_the_bad_verdicts_and_open_complaints(session):
    customer = CustomerFactory()
    _bad_verdicts(customer, 2)
    refresh_tags(session, customer)
    ComplaintFactory(customer_id=customer.id)
    CustomerFactory()
    rows = churn.at_risk(session)
    assert [r.customer.id for r in rows] == [customer.id]
    assert len(rows[0].negative_ratings) == 2
    assert rows[0].open_complaints == 1
    assert rows[0].alert is not None


# --- pipeline ----------------------------------------------------------------------------------


def test_the_pipeline_counts_orders_per_stage_and_ages_them_in_their_stage(session):
    now = utcnow()
    old = OrderFactory(stage=models.OrderStage.DESIGN, created_at=now - dt.timedelta(days=40))
    OrderFactory(stage=models.OrderStage.DESIGN, created_at=now - dt.timedelta(days=2))
    OrderFactory(stage=models.OrderStage.CLOSED)
    board = pipeline.pipeline(session, now)
    design = next(c for c in board.columns if c.stage == models.OrderStage.DESIGN)
    assert design.count == 2
    assert design.cards[0].order.id == old.id
    assert design.cards[0].ageing == "stuck"
    assert design.oldest_days == 40
    assert design.buckets == {"fresh": 1, "waiting": 0, "stuck": 1}
    assert board.finished == {models.OrderStage.CLOSED: 1}


def test_moving_an_order_restarts_its_ageing(session):
    order = OrderFactory(created_at=utcnow() - dt.timedelta(days=10))
    set_order_stage(session, order, models.OrderStage.DESIGN, actor_user_id=None)
    session.commit()
    design = next(
        c
        for c in pipeline.pipeline(session, utcnow()).columns
        if c.stage == models.OrderStage.DESIGN
    )
    assert [(k.order.id, k.days_in_stage) for k in design.cards] == [(order.id, 0)]


def test_the_tag_choices_are_read_as_each_tag_once_not_customer_by_customer(session):
    for n in range(30):
        CustomerFactory(tags=["vip", CHURN_RISK] if n % 3 == 0 else ["vip"])
    CustomerFactory(tags=[])
    with statements() as seen:
        tags = customer_directory.known_tags(session)
    assert tags == sorted(["vip", CHURN_RISK])
    assert [s.rows for s in seen] == [2]
