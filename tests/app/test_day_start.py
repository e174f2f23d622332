"""The day starts: today's published visits become dispatched, by the job and by the action."""

import datetime as dt
from zoneinfo import ZoneInfo

from app.jobs.day_start import DAY_START_JOB_ID, dispatch_today
from app.jobs.periodic import PERIODIC_JOBS
from app.models import Visit, VisitStatus
from tests.factories import TechnicianFactory, VisitFactory, tomorrow_at

SHANGHAI = ZoneInfo("Asia/Shanghai")


def published(technician, start, status=VisitStatus.SCHEDULED):
    return VisitFactory(
        technician_id=technician.id,
        planned_start=start,
        status=status,
        required_skills={"measure": 1},
    )


def today_at(hour):
    return tomorrow_at(hour, days=0)


def test_todays_scheduled_visits_become_dispatched_and_no_others(session):
    tech = TechnicianFactory(skills={"measure": 2})
    today = published(tech, today_at(10))
    tomorrow = published(tech, tomorrow_at(10))
    unassigned = VisitFactory(window_start=today_at(9), window_end=today_at(12))
    under_way = published(tech, today_at(8), status=VisitStatus.EN_ROUTE)

    assert dispatch_today() == [today.id]

    session.expire_all()
    assert session.get(Visit, today.id).status == VisitStatus.DISPATCHED
    assert session.get(Visit, tomorrow.id).status == VisitStatus.SCHEDULED
    assert session.get(Visit, unassigned.id).status == VisitStatus.NEW
    assert session.get(Visit, under_way.id).status == VisitStatus.EN_ROUTE
    history = session.get(Visit, today.id).status_changes
    assert history[-1].source == "day_start"


def test_starting_the_day_twice_changes_nothing_the_second_time(session):
    tech = TechnicianFactory(skills={"measure": 2})
    published(tech, today_at(11))
    assert len(dispatch_today()) == 1
    assert dispatch_today() == []


def test_the_dispatch_today_action_lets_the_technician_start_travel(
    client, session, as_dispatcher, login
):
    tech = TechnicianFactory(with_user=True, skills={"measure": 2})
    visit = published(tech, today_at(14))
    as_tech = login(tech.user)
    refused = client.post(
        f"/api/v1/visits/{visit.id}/transitions", json={"to": "en_route"}, headers=as_tech
    )
    assert refused.status_code == 409

    response = client.post("/api/v1/dispatch/today", headers=as_dispatcher)

    assert response.status_code == 200, response.json
    assert response.json["dispatched_visit_ids"] == [visit.id]
    assert response.json["day"] == today_at(14).date().isoformat()
    started = client.post(
        f"/api/v1/visits/{visit.id}/transitions", json={"to": "en_route"}, headers=as_tech
    )
    assert started.status_code == 200, started.json
    assert started.json["status"] == "en_route"


def test_technicians_cannot_start_the_day(client, session, technician, login):
    response = client.post("/api/v1/dispatch/today", headers=login(technician.user))
    assert response.status_code == 403


def test_the_day_start_job_is_registered_at_the_configured_hour(settings):
    day_start = next(p for p in PERIODIC_JOBS if p.job_id == DAY_START_JOB_ID)
    at_seven = settings.replace(day_start_hour=7, time_zone="Asia/Shanghai")
    before = dt.datetime(2026, 12, 1, 6, 30, tzinfo=SHANGHAI)
    after = dt.datetime(2026, 12, 1, 7, 30, tzinfo=SHANGHAI)
    assert day_start.first_run(at_seven, before) == dt.datetime(2026, 12, 1, 7, tzinfo=SHANGHAI)
    assert day_start.first_run(at_seven, after) == dt.datetime(2026, 12, 2, 7, tzinfo=SHANGHAI)
    assert day_start.interval(at_seven) == 24 * 3600
    at_six = settings.replace(day_start_hour=6)
    assert day_start.first_run(at_six, before.astimezone(dt.UTC)).astimezone(SHANGHAI).hour == 6
