"""A booked visit that loses the time its customer was told (unscheduled, unassigned, left out of
a published plan) tells the customer it is off and a new time will follow; a cancelled one, that
it is cancelled: once, whichever path did it, in the customer's language and on their channel."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import models
from app.database import db, utcnow
from app.services import notices, visit_changes
from app.services.dispatching.proposal import Diff, LeftOut, Proposal, to_json
from app.services.notices import Preferences
from app.services.proposal_figures import ProposalKpis, Reason
from tests import factories
from tests.console.conftest import sign_in  # noqa: F401  (the console's signed-in client)

# Told "tomorrow 10:00-12:00": planned at 10:00 without a promised window.
TOLD = "10:00\u201312:00"


@pytest.fixture
def booked(order, wang) -> models.Visit:
    """A booked measure of the order tomorrow at 10:00 without a promised window."""
    return factories.VisitFactory(
        site=order.site,
        order=order,
        technician_id=wang.id,
        status=models.VisitStatus.SCHEDULED,
        planned_start=factories.tomorrow_at(10),
        window_start=None,
        window_end=None,
        sla_due=None,
    )


def _messages(topic: str) -> list[models.OutboxMessage]:
    return db.session.scalars(
        select(models.OutboxMessage)
        .where(models.OutboxMessage.topic == topic)
        .order_by(models.OutboxMessage.id)
    ).all()


def _transition(client, headers, visit, to: str) -> None:
    response = client.post(
        f"/api/v1/visits/{visit.id}/transitions", json={"to": to}, headers=headers
    )
    assert response.status_code == 200, response.json


def _patch(client, headers, visit, **changes) -> dict:
    response = client.patch(
        f"/api/v1/visits/{visit.id}", json={**changes, "version": visit.version}, headers=headers
    )
    assert response.status_code == 200, response.json
    return response.json


def _speaks(order, language):
    """The order's customer reads messages in `language` (None: the default, Chinese)."""
    notices.set_preferences(db.session, order.customer_id, Preferences(language, None, False))
    db.session.commit()


@pytest.mark.parametrize(
    ("language", "wording"),
    [("en", "We will contact you with a new time"), (None, "我们会再与您联系")],
)
def test_unscheduling_through_the_api_tells_the_customer_once_in_their_language(
    client, as_dispatcher, order, booked, language, wording
):
    _speaks(order, language)
    _transition(client, as_dispatcher, booked, "new")
    [message] = _messages("visit_unscheduled")
    assert wording in message.body
    assert TOLD in message.body
    assert message.params["when"].endswith(TOLD)
    assert "/p/" in message.params["url"]
    assert message.recipient == "zw@example.com"


def test_the_message_goes_on_the_channel_the_customer_chose(client, as_dispatcher, order, booked):
    notices.set_preferences(db.session, order.customer_id, Preferences(None, "sms", False))
    db.session.commit()
    _transition(client, as_dispatcher, booked, "new")
    [message] = _messages("visit_unscheduled")
    assert (message.channel, message.recipient) == ("sms", "13800138000")


def test_a_customer_who_opted_out_hears_nothing_of_the_unscheduling(
    client, as_dispatcher, order, booked
):
    notices.set_preferences(db.session, order.customer_id, Preferences(None, None, True))
    db.session.commit()
    _transition(client, as_dispatcher, booked, "new")
    assert _messages("visit_unscheduled") == []


def test_clearing_the_technician_through_the_api_unschedules_and_tells_the_customer(
    client, as_dispatcher, booked
):
    body = _patch(client, as_dispatcher, booked, technician_id=None)
    assert (body["status"], body["technician_id"], body["planned_start"]) == ("new", None, None)
    [message] = _messages("visit_unscheduled")
    assert TOLD in message.params["when"]


def test_clearing_the_planned_start_through_the_api_unschedules_and_tells_the_customer(
    client, as_dispatcher, booked
):
    body = _patch(client, as_dispatcher, booked, planned_start=None)
    assert (body["status"], body["technician_id"]) == ("new", None)
    assert len(_messages("visit_unscheduled")) == 1


def test_a_visit_never_booked_says_nothing_when_edited_or_cancelled(client, as_dispatcher, order):
    visit = factories.VisitFactory(site=order.site, order=order)
    _patch(client, as_dispatcher, visit, technician_id=None)
    _transition(client, as_dispatcher, db.session.get(models.Visit, visit.id), "cancelled")
    assert _messages("visit_unscheduled") == _messages("visit_cancelled") == []


def test_booking_it_again_sends_the_booking_message_and_no_second_notice_of_the_old_time(
    client, as_dispatcher, wang, booked
):
    _transition(client, as_dispatcher, booked, "new")
    visit = db.session.get(models.Visit, booked.id)
    body = _patch(
        client,
        as_dispatcher,
        visit,
        technician_id=wang.id,
        planned_start=factories.tomorrow_at(14, days=2).isoformat(),
    )
    assert body["technician_id"] == wang.id
    _transition(client, as_dispatcher, db.session.get(models.Visit, booked.id), "scheduled")
    [booked_again] = _messages("visit_scheduled")
    assert "14:00\u201316:00" in booked_again.params["when"]
    assert len(_messages("visit_unscheduled")) == 1


def _run_leaving_out(visit: models.Visit) -> models.DispatchRun:
    """A finished run whose proposal leaves the published `visit` out (unscheduled on publish)."""
    kpis = ProposalKpis(0.0, 0.0, 0.0, 0.0, 0, 0, 0.0, 0, 1)
    proposal = Proposal(
        status="feasible",
        routes=(),
        assignments=(),
        unassigned=(),
        kpis=kpis,
        published_kpis=kpis,
        kpi_deltas={},
        diff=Diff(),
        to_unschedule=(
            LeftOut(
                visit.id,
                visit.technician_id,
                visit.planned_start,
                (Reason("no_room", "No room on the day.", {}),),
            ),
        ),
    )
    run = models.DispatchRun(
        status=models.RunStatus.SUCCEEDED,
        params={"first_day": visit.planned_start.date().isoformat()},
        visit_versions={str(visit.id): visit.version},
        proposal=to_json(proposal),
    )
    db.session.add(run)
    db.session.commit()
    return run


def test_publishing_a_plan_that_leaves_a_booked_visit_out_tells_its_customer(
    client, as_dispatcher, booked
):
    run = _run_leaving_out(booked)
    response = client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    assert response.status_code == 200, response.json
    [message] = _messages("visit_unscheduled")
    assert message.dedupe_key.startswith(f"visit-unscheduled:{booked.id}:")


def test_publishing_from_the_board_that_leaves_a_booked_visit_out_tells_its_customer(
    sign_in,  # noqa: F811
    dispatcher,
    booked,
):
    run = _run_leaving_out(booked)
    response = sign_in(dispatcher).post(f"/console/runs/{run.id}/publish")
    assert response.status_code == 302, response.text
    assert db.session.get(models.Visit, booked.id).status == models.VisitStatus.NEW
    assert len(_messages("visit_unscheduled")) == 1


@pytest.mark.parametrize(("language", "wording"), [("en", "is cancelled"), (None, "已取消")])
def test_cancelling_a_booked_visit_through_the_api_tells_the_customer_it_is_cancelled(
    client, as_dispatcher, order, booked, language, wording
):
    _speaks(order, language)
    _transition(client, as_dispatcher, booked, "cancelled")
    [message] = _messages("visit_cancelled")
    assert wording in message.body
    assert TOLD in message.body
    assert _messages("visit_unscheduled") == []


def test_deleting_a_booked_visit_is_refused_in_favour_of_cancelling_it(
    client, as_dispatcher, booked
):
    response = client.delete(f"/api/v1/visits/{booked.id}", headers=as_dispatcher)
    assert response.status_code == 409
    assert response.json["code"] == "visit_booked"
    assert "cancel it instead" in response.json["message"]
    db.session.expire_all()
    assert db.session.get(models.Visit, booked.id).status == models.VisitStatus.SCHEDULED
    assert _messages("visit_cancelled") == _messages("visit_unscheduled") == []


def test_the_refusal_to_delete_a_booked_visit_speaks_the_dispatcher_s_language(
    client, as_dispatcher, booked
):
    headers = {**as_dispatcher, "Accept-Language": "zh-CN"}
    response = client.delete(f"/api/v1/visits/{booked.id}", headers=headers)
    assert "请取消" in response.json["message"]


def test_a_booked_visit_cancelled_instead_of_deleted_tells_the_customer_once(
    client, as_dispatcher, booked
):
    client.delete(f"/api/v1/visits/{booked.id}", headers=as_dispatcher)
    _transition(client, as_dispatcher, booked, "cancelled")
    [message] = _messages("visit_cancelled")
    assert TOLD in message.body


def test_a_visit_never_booked_can_be_deleted_and_says_nothing(client, as_dispatcher, order):
    visit = factories.VisitFactory(site=order.site, order=order)
    response = client.delete(f"/api/v1/visits/{visit.id}", headers=as_dispatcher)
    assert response.status_code == 204
    assert _messages("visit_cancelled") == _messages("visit_unscheduled") == []


def test_cancelling_a_booked_visit_at_the_desk_tells_the_customer_it_is_cancelled(
    sign_in,  # noqa: F811
    dispatcher,
    booked,
):
    response = sign_in(dispatcher).post(f"/console/inbox/{booked.id}/cancel")
    assert response.status_code == 302, response.text
    [message] = _messages("visit_cancelled")
    assert message.dedupe_key == f"visit-cancelled:{booked.id}"


def test_the_customers_own_cancellation_is_answered_by_the_decision_alone(
    order, booked, dispatcher, settings
):
    change = visit_changes.request_change(
        db.session,
        settings,
        db.session.get(models.Order, order.id),
        booked.id,
        models.ChangeKind.CANCEL,
    )
    visit_changes.confirm(db.session, settings, change, actor_user_id=dispatcher.id)
    db.session.commit()
    assert _messages("visit_cancelled") == []
    assert len(_messages("change_decided")) == 1


def test_unscheduling_a_visit_of_today_already_dispatched_tells_the_customer(
    client, as_dispatcher, order, wang
):
    visit = factories.VisitFactory(
        site=order.site,
        order=order,
        technician_id=wang.id,
        status=models.VisitStatus.DISPATCHED,
        planned_start=utcnow().replace(microsecond=0),
        window_start=None,
        window_end=None,
        sla_due=None,
    )
    _transition(client, as_dispatcher, visit, "new")
    assert len(_messages("visit_unscheduled")) == 1
