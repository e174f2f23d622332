"""SLA clocks: the policy that applies, clock states, re-timing from phone progress, and a check
that warns before a miss and escalates at breach, once each."""

# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from redis import Redis
from sqlalchemy import func, select

from app.database import utcnow
from app.jobs.periodic import PERIODIC_JOBS, register_periodic_jobs, scheduler_for
from app.jobs.sla import SLA_JOB_ID, check_sla
from app.models import (
    ComplaintStage,
    CustomerTier,
    OutboxMessage,
    SlaAlert,
    VisitKind,
    VisitStatus,
    VisitStatusChange,
)
from app.services.sla.check import run_check
from app.services.sla.clocks import clock, visit_clocks
from app.services.sla.policies import policy_for
from app.services.sla.progress import progress_of
from app.services.sla.projection import project_route
from dispatch.travel import GeodesicProvider
from tests.factories import (
    ComplaintFactory,
    CustomerFactory,
    SiteFactory,
    SlaPolicyFactory,
    TechnicianFactory,
    UserFactory,
    VisitFactory,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=TZ)


def minutes(m: int) -> dt.datetime:
    return NOW + dt.timedelta(minutes=m)


def test_the_most_specific_policy_applies(session):
    default = SlaPolicyFactory()
    repair = SlaPolicyFactory(kind=VisitKind.REPAIR, response_min=600, resolution_min=900)
    vip = SlaPolicyFactory(
        kind=VisitKind.REPAIR, tier=CustomerTier.VIP, response_min=120, resolution_min=240
    )
    policies = [default, repair, vip]
    assert policy_for(policies, VisitKind.REPAIR, 3, CustomerTier.VIP) == vip
    assert policy_for(policies, VisitKind.REPAIR, 3, CustomerTier.GOLD) == repair
    assert policy_for(policies, VisitKind.MEASURE, 1, CustomerTier.VIP) == default


def test_a_clock_is_breached_past_due_and_met_when_done_in_time():
    assert clock("response", minutes(-1), NOW, warn_before_min=60).state == "breached"
    done = clock("response", minutes(-1), NOW, warn_before_min=60, done_at=minutes(-30))
    assert done.state == "met"


def test_a_clock_warns_when_the_projection_misses_due_even_with_time_left():
    c = clock("resolution", minutes(300), NOW, warn_before_min=60, projected_at=minutes(310))
    assert (c.state, c.projected_miss, c.remaining_min) == ("warning", True, 300)


def test_the_visits_own_sla_due_is_its_resolution_target(session):
    policy = SlaPolicyFactory(response_min=60, resolution_min=600)
    visit = VisitFactory(sla_due=minutes(30))
    visit.created_at = NOW
    clocks = {c.target: c for c in visit_clocks(visit, policy, NOW)}
    assert clocks["response"].due == minutes(60)
    assert clocks["resolution"].due == minutes(30)


@pytest.fixture
def route(session):
    """A technician's day: one visit on site since 9:30 (90 min), the next planned at 10:30."""
    tech = TechnicianFactory(with_user=True, home_lat=31.23, home_lon=121.47)
    on_site = VisitFactory(
        technician_id=tech.id,
        site=SiteFactory(lat=31.23, lon=121.47),
        status=VisitStatus.ON_SITE,
        planned_start=minutes(-30),
        duration_min=90,
        window_start=minutes(-60),
        window_end=minutes(240),
        sla_due=None,
    )
    session.add(
        VisitStatusChange(
            visit_id=on_site.id, to_status=VisitStatus.ON_SITE, at=minutes(-30), source="sync"
        )
    )
    following = VisitFactory(
        technician_id=tech.id,
        site=SiteFactory(lat=31.25, lon=121.47),
        status=VisitStatus.DISPATCHED,
        planned_start=minutes(30),
        duration_min=60,
        window_start=minutes(0),
        window_end=minutes(300),
        sla_due=minutes(150),
    )
    session.commit()
    return tech, on_site, following


def test_the_route_is_retimed_from_the_time_the_technician_arrived(session, route):
    tech, on_site, following = route
    progress = progress_of(session, [on_site.id, following.id])
    first, second = project_route(tech, [on_site, following], progress, NOW, GeodesicProvider())
    assert (first.arrival, first.end) == (minutes(-30), minutes(60))
    # 2.2 km straight, x1.3 detour at 25 km/h: about 7 minutes after leaving at 11:00.
    assert minutes(66) <= second.arrival <= minutes(68)
    assert second.end == second.arrival + dt.timedelta(minutes=60)


def test_a_visit_on_site_longer_than_planned_pushes_the_rest_of_the_day(session, route):
    tech, on_site, following = route
    progress = progress_of(session, [on_site.id, following.id])
    late = NOW + dt.timedelta(minutes=120)
    travel = GeodesicProvider()
    first, second = project_route(tech, [on_site, following], progress, late, travel)
    assert first.end == late
    assert second.arrival > late


def test_the_check_warns_before_a_projected_miss(session, settings, route):
    _, _, following = route
    following.sla_due = minutes(100)  # projected end is about 11:07 + 60 min
    session.commit()
    result = run_check(session, settings, NOW)
    assert [(a.subject_id, a.target, a.level) for a in result.warnings] == [
        (following.id, "resolution", "warning")
    ]
    assert result.breaches == []


def test_a_breach_escalates_through_the_outbox_to_the_dispatchers(session, settings, route):
    _, _, following = route
    UserFactory(email="desk@example.com", language="en")
    following.sla_due = minutes(-5)
    session.commit()
    result = run_check(session, settings, NOW)
    session.commit()
    assert [(a.subject_id, a.level) for a in result.breaches] == [(following.id, "breach")]
    message = session.scalar(select(OutboxMessage))
    assert (message.topic, message.recipient) == ("sla_breach", "desk@example.com")
    assert f"visit {following.id}" in message.body


def test_a_breach_message_is_written_in_the_recipients_language(session, settings, route):
    _, _, following = route
    UserFactory(email="desk@example.com")  # no language chosen: the default, Chinese
    following.sla_due = minutes(-5)
    session.commit()
    run_check(session, settings, NOW)
    session.commit()
    message = session.scalar(select(OutboxMessage))
    assert message.subject == f"SLA 超时：工单 {following.id}"
    assert f"工单 {following.id}" in message.body
    assert "时限已超时" in message.body


def test_the_check_raises_each_alert_once(session, settings, route):
    _, _, following = route
    UserFactory()
    following.sla_due = minutes(-5)
    session.commit()
    run_check(session, settings, NOW)
    session.commit()
    again = run_check(session, settings, NOW + dt.timedelta(minutes=5))
    session.commit()
    assert again.breaches == again.warnings == []
    assert session.scalar(select(func.count()).select_from(SlaAlert)) == 1
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_an_overdue_complaint_stage_escalates(session, settings):
    UserFactory()
    complaint = ComplaintFactory(
        customer_id=CustomerFactory().id, stage=ComplaintStage.REPORTED, due_at=minutes(-10)
    )
    result = run_check(session, settings, NOW)
    assert [(a.subject, a.subject_id, a.target) for a in result.breaches] == [
        ("complaint", complaint.id, "stage:reported")
    ]


def test_the_check_job_commits_its_alerts(session, settings, route, monkeypatch):
    _, _, following = route
    following.sla_due = utcnow() - dt.timedelta(minutes=1)
    session.commit()
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    counts = check_sla()
    assert counts["breaches"] >= 1
    assert session.scalar(select(SlaAlert.subject_id).where(SlaAlert.level == "breach")) == (
        following.id
    )


def forget_periodic_jobs(scheduler, redis_url):
    for periodic in PERIODIC_JOBS:
        scheduler.cancel(periodic.job_id)
        Redis.from_url(redis_url).delete(f"rq:job:{periodic.job_id}")


def test_every_periodic_job_is_registered_once(settings, redis_url):
    isolated = settings.replace(redis_url=redis_url, rq_queue="periodic-test")
    scheduler = scheduler_for(isolated)
    try:
        register_periodic_jobs(scheduler, isolated)
        register_periodic_jobs(scheduler, isolated)
        ids = sorted(j.id for j in scheduler.get_jobs())
        assert ids == sorted(p.job_id for p in PERIODIC_JOBS)
    finally:
        forget_periodic_jobs(scheduler, redis_url)


def test_registering_the_scheduled_check_twice_keeps_one_periodic_job(settings, redis_url):
    isolated = settings.replace(redis_url=redis_url, rq_queue="sla-test", sla_check_interval_s=60)
    scheduler = scheduler_for(isolated)
    try:
        register_periodic_jobs(scheduler, isolated)
        register_periodic_jobs(scheduler, isolated)
        jobs = [j for j in scheduler.get_jobs() if j.id == SLA_JOB_ID]
        assert len(jobs) == 1
        assert jobs[0].meta["interval"] == 60
        assert jobs[0].func_name == "app.jobs.sla.check_sla"
    finally:
        forget_periodic_jobs(scheduler, redis_url)


def test_the_scheduled_check_reaches_a_worker_and_runs(session, settings, redis_url, route):
    from rq import SimpleWorker

    from app.jobs import queue

    _, _, following = route
    following.sla_due = utcnow() - dt.timedelta(minutes=1)
    session.commit()
    isolated = settings.replace(redis_url=redis_url, rq_queue="sla-run-test")
    scheduler = scheduler_for(isolated)
    work = queue(isolated)
    try:
        register_periodic_jobs(scheduler, isolated)
        scheduler.enqueue_jobs()
        SimpleWorker([work], connection=work.connection, serializer=work.serializer).work(
            burst=True
        )
        assert session.scalar(select(SlaAlert.subject_id).where(SlaAlert.level == "breach")) == (
            following.id
        )
    finally:
        forget_periodic_jobs(scheduler, redis_url)
        work.empty()


def test_an_alert_is_resolved_once_its_visit_is_done(session, settings, route):
    _, _, following = route
    UserFactory()
    following.sla_due = minutes(-5)
    session.commit()
    run_check(session, settings, NOW)
    session.commit()
    following.status = VisitStatus.CANCELLED
    session.commit()
    run_check(session, settings, NOW + dt.timedelta(minutes=5))
    session.commit()
    assert session.scalar(select(SlaAlert.resolved_at)) == NOW + dt.timedelta(minutes=5)


def test_the_seeded_demo_shows_a_warning_before_a_breach(session, settings):
    from app.demo import seed_demo_data

    summary = seed_demo_data(session, under_way_today=True, history_weeks=1)
    session.commit()
    # As the routes under way stand (the next working day's 11:00 when it is night in Shanghai).
    result = run_check(session, settings, summary.under_way.at)
    projected = [a for a in result.warnings if a.projected_at and a.projected_at > a.due_at]
    assert projected, "a visit under way today should be projected to miss its SLA"
    assert any(a.subject == "visit" for a in result.breaches)
