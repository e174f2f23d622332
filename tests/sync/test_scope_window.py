"""The scope window: from the start of yesterday to the end of the day N days ahead."""

from __future__ import annotations

import datetime as dt

from app.models import VisitStatus
from sync.jobs import prune_feed
from sync.scope import scope_keys
from tests.factories import ChecklistTemplateFactory, assigned_visit, tomorrow_at


def _planned(technician, days: int):
    """A visit planned at 10:00 local time, `days` from today."""
    start = tomorrow_at(10, days=days)
    return assigned_visit(technician, planned_start=start, window_start=None, window_end=None)


def test_yesterday_is_in_scope_and_the_day_before_is_not(session, technician, settings):
    yesterday, before = _planned(technician, -1), _planned(technician, -2)
    keys = scope_keys(session, technician.id, settings)
    assert f"v:{yesterday.id}" in keys
    assert f"v:{before.id}" not in keys


def test_the_last_day_ahead_is_in_scope_and_the_next_is_not(session, technician, settings):
    days = settings.sync_scope_days_ahead
    last, beyond = _planned(technician, days), _planned(technician, days + 1)
    keys = scope_keys(session, technician.id, settings)
    assert f"v:{last.id}" in keys
    assert f"v:{beyond.id}" not in keys


def test_scope_follows_the_configured_number_of_days(session, technician, settings):
    far = _planned(technician, 13)
    assert f"v:{far.id}" not in scope_keys(session, technician.id, settings)
    wider = settings.replace(sync_scope_days_ahead=14)
    assert f"v:{far.id}" in scope_keys(session, technician.id, wider)


def test_a_day_passing_takes_a_visit_out_of_scope_without_any_write(session, technician, settings):
    visit = _planned(technician, 1)  # tomorrow
    in_three_days = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert f"v:{visit.id}" in scope_keys(session, technician.id, settings)
    assert f"v:{visit.id}" not in scope_keys(session, technician.id, settings, in_three_days)


def test_cancelled_visits_are_out_of_scope(session, technician, settings):
    visit = assigned_visit(technician, status=VisitStatus.CANCELLED)
    assert f"v:{visit.id}" not in scope_keys(session, technician.id, settings)


def test_a_template_change_reaches_every_phone(session, phone, technician):
    template = ChecklistTemplateFactory()
    device = phone(technician.user)
    device.sync()
    template = session.merge(template)
    template.name = "Measure v2"
    session.commit()
    device.sync()
    assert device.store.record("template", template.id)["name"] == "Measure v2"


def test_the_prune_job_keeps_recent_history(session, technician, monkeypatch, settings):
    assigned_visit(technician)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert prune_feed() == 0
