"""Every automation of the rules module, triggered by the domain events services publish."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app import models
from app.services import ratings as rating_service
from app.services.completion import complete_visit
from app.services.ratings import Verdict
from tests.factories import OrderFactory, SiteFactory, VisitFactory


def _rate(session, settings, rating_token, visit, csat, nps=None):
    rating = rating_service.submit(session, settings, rating_token(visit), Verdict(csat, nps))
    session.commit()
    return rating


def test_a_completed_measure_moves_its_order_to_design(
    templates, on_site_visit, fulfil, complete, session
):
    visit = on_site_visit(models.VisitKind.MEASURE)
    visit.order.stage = models.OrderStage.MEASURE
    session.commit()
    fulfil(visit)
    complete(visit)
    session.expire_all()
    assert session.get(models.Order, visit.order_id).stage == models.OrderStage.DESIGN


def test_a_confirmed_order_gets_an_unscheduled_install_after_its_measure(
    client, as_dispatcher, session
):
    site = SiteFactory()
    order = OrderFactory(customer=site.customer, site=site, stage=models.OrderStage.DESIGN)
    measure = VisitFactory(site=site, order=order, status=models.VisitStatus.COMPLETED)
    response = client.patch(
        f"/api/v1/orders/{order.id}",
        json={"stage": "confirmed", "version": order.version},
        headers=as_dispatcher,
    )
    assert response.status_code == 200, response.json
    install = session.scalar(
        select(models.Visit).where(
            models.Visit.order_id == order.id, models.Visit.kind == models.VisitKind.INSTALL
        )
    )
    assert install.status == models.VisitStatus.NEW
    assert (install.technician_id, install.planned_start, install.window_start) == (None,) * 3
    assert install.depends_on_visit_id == measure.id
    assert install.depends_min_days > 0


def test_confirming_an_order_twice_creates_one_install(client, as_dispatcher, session):
    order = OrderFactory(customer=SiteFactory().customer, stage=models.OrderStage.DESIGN)
    for stage in ("confirmed", "design", "confirmed"):
        session.expire_all()  # the app wrote through its own session
        version = session.get(models.Order, order.id).version
        response = client.patch(
            f"/api/v1/orders/{order.id}",
            json={"stage": stage, "version": version},
            headers=as_dispatcher,
        )
        assert response.status_code == 200, response.json
    installs = session.scalars(select(models.Visit).where(models.Visit.order_id == order.id)).all()
    assert len(installs) == 1


def test_a_completed_install_issues_a_rating_link_and_sends_it(completed_install, session):
    link = session.scalar(
        select(models.RatingLink).where(models.RatingLink.visit_id == completed_install.id)
    )
    assert link.expires_at - link.created_at == dt.timedelta(days=14)
    message = session.scalar(select(models.OutboxMessage))
    assert message.topic == "rating_link"
    assert message.recipient == completed_install.customer.email
    assert message.status == models.MessageStatus.SENT
    # Sent, so the stored copy no longer holds the link's token.
    assert "/r/<redacted>" in message.body
    assert link.nonce not in message.body


def test_a_completed_repair_issues_a_rating_link(
    templates, on_site_visit, fulfil, complete, session
):
    visit = on_site_visit(models.VisitKind.REPAIR)
    fulfil(visit)
    complete(visit)
    assert session.scalar(select(models.RatingLink).where(models.RatingLink.visit_id == visit.id))


def test_a_completed_measure_issues_no_rating_link(
    templates, on_site_visit, fulfil, complete, session
):
    visit = on_site_visit(models.VisitKind.MEASURE)
    fulfil(visit)
    complete(visit)
    assert session.scalar(select(models.RatingLink)) is None


def test_rules_fire_when_a_sync_push_completes_the_visit(templates, on_site_visit, fulfil, session):
    visit = on_site_visit(models.VisitKind.INSTALL)
    fulfil(visit)
    complete_visit(session, visit, actor_user_id=None, source="sync")
    session.commit()
    assert session.scalar(select(models.RatingLink).where(models.RatingLink.visit_id == visit.id))
    assert session.scalar(select(models.OutboxMessage.status)) == models.MessageStatus.SENT


def test_csat_of_two_opens_an_assigned_complaint_and_tags_a_detractor(
    completed_install, admin, rating_token, session, settings
):
    _rate(session, settings, rating_token, completed_install, csat=2)
    complaint = session.scalar(select(models.Complaint))
    assert complaint.customer_id == completed_install.customer_id
    assert complaint.stage == models.ComplaintStage.ASSIGNED
    assert complaint.owner_user_id == admin.id
    assert [s.to_stage for s in complaint.history] == ["reported", "assigned"]
    assert "detractor" in session.get(models.Customer, completed_install.customer_id).tags


def test_nps_of_six_opens_a_complaint(completed_install, rating_token, session, settings):
    _rate(session, settings, rating_token, completed_install, csat=4, nps=6)
    assert session.scalar(select(models.Complaint.stage)) == models.ComplaintStage.REPORTED


def test_a_good_verdict_opens_no_complaint_and_tags_a_promoter(
    completed_install, rating_token, session, settings
):
    _rate(session, settings, rating_token, completed_install, csat=5, nps=10)
    assert session.scalar(select(models.Complaint)) is None
    assert session.get(models.Customer, completed_install.customer_id).tags == ["promoter"]


def test_changing_a_bad_verdict_keeps_one_complaint(
    completed_install, rating_token, session, settings
):
    _rate(session, settings, rating_token, completed_install, csat=1)
    _rate(session, settings, rating_token, completed_install, csat=2)
    assert len(session.scalars(select(models.Complaint)).all()) == 1


def test_two_negative_verdicts_within_90_days_tag_churn_risk(
    templates, on_site_visit, fulfil, complete, rating_token, session, settings
):
    first = on_site_visit(models.VisitKind.INSTALL)
    second = on_site_visit(models.VisitKind.REPAIR, site=first.site, order=first.order)
    for visit in (first, second):
        fulfil(visit)
        complete(visit)
        _rate(session, settings, rating_token, visit, csat=1)
    tags = session.get(models.Customer, first.customer_id).tags
    assert set(tags) == {"detractor", "churn_risk"}


def test_a_repair_not_fixed_gets_a_follow_up_repair_with_the_original_sla(
    templates, on_site_visit, fulfil, complete, session
):
    original = on_site_visit(models.VisitKind.REPAIR, sla_hard=True, required_skills={"repair": 2})
    fulfil(original, fixed=False)
    complete(original)
    link = session.scalar(select(models.FollowUpLink))
    follow_up = session.get(models.Visit, link.follow_up_visit_id)
    assert link.original_visit_id == original.id
    assert (follow_up.kind, follow_up.status) == (models.VisitKind.REPAIR, models.VisitStatus.NEW)
    assert (follow_up.sla_due, follow_up.sla_hard) == (original.sla_due, True)
    assert [(s.skill.code, s.min_level) for s in follow_up.required_skills] == [("repair", 2)]


def test_a_repair_fixed_first_time_gets_no_follow_up(
    templates, on_site_visit, fulfil, complete, session
):
    visit = on_site_visit(models.VisitKind.REPAIR)
    fulfil(visit, fixed=True)
    complete(visit)
    assert session.scalar(select(models.FollowUpLink)) is None
