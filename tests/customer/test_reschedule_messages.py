"""A move of a booked visit tells the customer when the window they know changes, whichever
path moved it (board, visit edit API, plan publish), once per change."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import models
from app.database import db, utcnow
from app.jobs.dispatching import run_dispatch
from app.services import notices, visit_changes
from app.services.board import edits
from app.services.dispatching.runs import RunRequest, create_run
from app.services.notices import Preferences
from app.services.visit_windows import offered_windows
from tests import factories

TZ = ZoneInfo("Asia/Shanghai")


# a booked visit without a promised window: the customer was told its start plus two hours
NOT_PROMISED = {"window_start": None, "window_end": None, "sla_due": None}


def _booked(order, technician, start, **fields) -> models.Visit:
    """A scheduled visit of ``order`` on ``technician``'s day at ``start``."""
    return factories.VisitFactory(
        site=order.site,
        order=order,
        technician_id=technician.id,
        status=models.VisitStatus.SCHEDULED,
        planned_start=start,
        **fields,
    )


@pytest.fixture
def booked(order, wang) -> models.Visit:
    """A booked measure tomorrow at 10:00 without a promised window: announced as 10:00-12:00."""
    return _booked(order, wang, factories.tomorrow_at(10), **NOT_PROMISED)


def _move(visit, technician, start):
    edits.move_visit(
        db.session,
        db.session.get(models.Visit, visit.id),
        technician.id,
        start,
        tz=TZ,
        actor_user_id=None,
        now=utcnow(),
    )
    db.session.commit()


def _rescheduled():
    return db.session.scalars(
        select(models.OutboxMessage).where(models.OutboxMessage.topic == "visit_rescheduled")
    ).all()


@pytest.mark.parametrize(
    ("language", "wording"), [("en", "visit is moved to"), (None, "上门已改到")]
)
def test_a_move_to_another_day_sends_one_message_with_the_new_window_in_the_customers_language(
    order, wang, booked, language, wording
):
    notices.set_preferences(db.session, order.customer_id, Preferences(language, None, False))
    _move(booked, wang, factories.tomorrow_at(14, days=2))
    [message] = _rescheduled()
    assert wording in message.body
    assert "14:00\u201316:00" in message.body
    assert message.params["when"].endswith("14:00\u201316:00")
    assert "/p/" in message.params["url"]
    assert message.recipient == "zw@example.com"


def test_a_board_move_to_today_that_also_dispatches_the_visit_sends_one_message(wang, booked):
    _move(booked, wang, factories.tomorrow_at(10, days=0))
    assert db.session.get(models.Visit, booked.id).status == models.VisitStatus.DISPATCHED
    assert len(_rescheduled()) == 1


def test_another_technician_at_the_same_time_sends_nothing(booked):
    other = factories.TechnicianFactory(name="李强")
    _move(booked, other, factories.tomorrow_at(10))
    assert _rescheduled() == []


def test_a_move_inside_the_promised_window_sends_nothing(order, wang):
    visit = _booked(order, wang, factories.tomorrow_at(9))
    _move(visit, wang, factories.tomorrow_at(11))
    assert _rescheduled() == []


def test_a_customer_who_opted_out_hears_nothing_of_the_move(order, wang, booked):
    notices.set_preferences(db.session, order.customer_id, Preferences(None, None, True))
    _move(booked, wang, factories.tomorrow_at(14, days=2))
    assert _rescheduled() == []


def test_placing_a_new_visit_announces_it_as_booked_not_moved(order, wang):
    visit = factories.VisitFactory(
        site=order.site, order=order, window_start=None, window_end=None, sla_due=None
    )
    _move(visit, wang, factories.tomorrow_at(14))
    assert _rescheduled() == []
    assert db.session.scalar(
        select(models.OutboxMessage.id).where(models.OutboxMessage.topic == "visit_scheduled")
    )


def _edit(client, headers, visit, **changes):
    response = client.patch(
        f"/api/v1/visits/{visit.id}",
        json={**{k: v.isoformat() for k, v in changes.items()}, "version": visit.version},
        headers=headers,
    )
    assert response.status_code == 200, response.json
    return response


def test_a_move_through_the_visit_api_sends_one_message_with_the_new_window(
    client, as_dispatcher, order, booked
):
    notices.set_preferences(db.session, order.customer_id, Preferences("en", None, False))
    db.session.commit()
    _edit(client, as_dispatcher, booked, planned_start=factories.tomorrow_at(14, days=2))
    [message] = _rescheduled()
    assert "14:00\u201316:00" in message.body


def test_an_api_move_inside_the_promised_window_sends_nothing(client, as_dispatcher, order, wang):
    visit = _booked(order, wang, factories.tomorrow_at(9))
    _edit(client, as_dispatcher, visit, planned_start=factories.tomorrow_at(11))
    assert _rescheduled() == []


def test_a_customer_who_opted_out_hears_nothing_of_an_api_move(
    client, as_dispatcher, order, booked
):
    notices.set_preferences(db.session, order.customer_id, Preferences(None, None, True))
    db.session.commit()
    _edit(client, as_dispatcher, booked, planned_start=factories.tomorrow_at(14, days=2))
    assert _rescheduled() == []


def test_a_new_promised_window_through_the_api_is_a_move(client, as_dispatcher, order, wang):
    visit = _booked(order, wang, factories.tomorrow_at(10))
    _edit(
        client,
        as_dispatcher,
        visit,
        window_start=factories.tomorrow_at(10),
        window_end=factories.tomorrow_at(11, 30),
    )
    [message] = _rescheduled()
    assert "10:00\u201311:30" in message.params["when"]


def test_a_published_plan_that_moves_a_booked_visit_tells_its_customer_once(
    client, as_dispatcher, order, session
):
    """Booked at 16:00 without a promised window, the new plan starts the day with it."""
    technician = factories.TechnicianFactory(skills={"measure": 2})
    visit = _booked(
        order, technician, factories.tomorrow_at(16), **NOT_PROMISED, required_skills={"measure": 1}
    )
    run = create_run(
        session, RunRequest(first_day=factories.tomorrow_at(9).date(), time_limit_s=1), user_id=None
    )
    session.commit()
    run_dispatch(run.id, "Asia/Shanghai")
    response = client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    assert response.status_code == 200, response.json
    session.expire_all()
    moved = session.get(models.Visit, visit.id)
    assert moved.planned_start != factories.tomorrow_at(16)
    [message] = _rescheduled()
    assert message.dedupe_key == f"visit-rescheduled:{visit.id}:{moved.version}"


def test_confirming_the_customers_own_move_answers_them_without_a_second_message(
    order, booked, dispatcher, settings
):
    """Planned at 10:00 (told 10:00-12:00), the customer asks for 09:00-12:00: it still fits."""
    window = offered_windows(settings, utcnow())[0]
    assert window.start <= booked.planned_start < window.end
    change = visit_changes.request_change(
        db.session,
        settings,
        db.session.get(models.Order, order.id),
        booked.id,
        models.ChangeKind.RESCHEDULE,
        window_key=window.key,
    )
    visit_changes.confirm(db.session, settings, change, actor_user_id=dispatcher.id)
    db.session.commit()
    assert db.session.get(models.Visit, booked.id).window_start == window.start
    assert _rescheduled() == []
    topics = db.session.scalars(select(models.OutboxMessage.topic)).all()
    assert "change_decided" in topics


def test_an_urgent_insertion_that_pushes_a_booked_visit_later_tells_its_customer(
    client, as_dispatcher, order, wang, session
):
    """Booked at 09:00 (told 09:00-11:00); the urgent visit must start by 09:30: it goes first."""
    booked = _booked(order, wang, factories.tomorrow_at(9), **NOT_PROMISED)
    urgent = factories.VisitFactory(
        priority=5, window_start=factories.tomorrow_at(9), window_end=factories.tomorrow_at(9, 30)
    )
    response = client.post(
        "/api/v1/dispatch/insertions",
        json={"visit_id": urgent.id, "apply": True},
        headers=as_dispatcher,
    )
    assert response.status_code == 200, response.json
    assert response.json["applied"] is True
    session.expire_all()
    assert session.get(models.Visit, booked.id).planned_start >= factories.tomorrow_at(10)
    [message] = _rescheduled()
    assert message.dedupe_key.startswith(f"visit-rescheduled:{booked.id}:")
