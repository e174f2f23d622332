"""A dispatcher's move of a booked visit tells the customer when the window they know changes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import models
from app.database import db, utcnow
from app.services import notices
from app.services.board import edits
from app.services.notices import Preferences
from tests import factories

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def booked(order, wang) -> models.Visit:
    """A booked measure tomorrow at 10:00 without a promised window: announced as 10:00-12:00."""
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


def test_another_technician_at_the_same_time_sends_nothing(booked):
    other = factories.TechnicianFactory(name="李强")
    _move(booked, other, factories.tomorrow_at(10))
    assert _rescheduled() == []


def test_a_move_inside_the_promised_window_sends_nothing(order, wang):
    visit = factories.VisitFactory(
        site=order.site,
        order=order,
        technician_id=wang.id,
        status=models.VisitStatus.SCHEDULED,
        planned_start=factories.tomorrow_at(9),
    )
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
