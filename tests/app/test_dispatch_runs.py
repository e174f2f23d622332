"""Dispatch runs through the app: solve in the background, explain, diff, publish."""

import time
import uuid

import pytest
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import select

from app.jobs import enqueue, queue
from app.jobs.dispatching import run_dispatch
from app.models import DispatchRun, LockState, RunStatus, Visit, VisitStatus
from app.services.dispatching.runs import RunRequest, create_run
from tests.factories import (
    TechnicianFactory,
    VisitFactory,
    measure_visits_tomorrow,
    tomorrow_at,
)

TZ = "Asia/Shanghai"


@pytest.fixture
def crew(session):
    """Two measurers and three measure visits tomorrow morning in central Shanghai."""
    techs = [TechnicianFactory(skills={"measure": 2}) for _ in range(2)]
    visits = measure_visits_tomorrow(3)
    return techs, visits


def solve(session, **changes):
    request = RunRequest(first_day=tomorrow_at(9).date(), time_limit_s=1, **changes)
    run = create_run(session, request, user_id=None)
    session.commit()
    run_dispatch(run.id, TZ)
    session.expire_all()
    return session.get(DispatchRun, run.id)


def test_every_visit_is_either_assigned_or_explained(session, crew):
    run = solve(session)
    proposal = run.proposal
    assert run.status == RunStatus.SUCCEEDED
    accounted = {a["visit_id"] for a in proposal["assignments"]}
    accounted |= {u["visit_id"] for u in proposal["unassigned"]}
    assert accounted == {v.id for v in crew[1]}
    assert all(u["reasons"] for u in proposal["unassigned"])


def test_a_visit_needing_a_skill_nobody_holds_is_explained(session, crew):
    orphan = VisitFactory(
        required_skills={"stone_worktop": 3},
        window_start=tomorrow_at(9),
        window_end=tomorrow_at(16),
    )
    proposal = solve(session).proposal
    reasons = {u["visit_id"]: u["reasons"] for u in proposal["unassigned"]}
    assert reasons[orphan.id][0]["code"] == "no_skilled_technician"
    assert "stone_worktop" in reasons[orphan.id][0]["message"]


def test_a_visit_locked_to_a_technician_stays_with_them(session, crew):
    techs, visits = crew
    pinned = visits[0]
    pinned.technician_id, pinned.lock = techs[1].id, LockState.TECHNICIAN
    session.commit()
    proposal = solve(session).proposal
    placed = {a["visit_id"]: a["technician_id"] for a in proposal["assignments"]}
    assert placed[pinned.id] == techs[1].id


def test_a_visit_under_way_is_never_planned(session, crew):
    techs, _ = crew
    busy = VisitFactory(
        technician_id=techs[0].id,
        status=VisitStatus.ON_SITE,
        planned_start=tomorrow_at(9),
        required_skills={"measure": 1},
    )
    proposal = solve(session).proposal
    planned = {a["visit_id"] for a in proposal["assignments"]}
    planned |= {u["visit_id"] for u in proposal["unassigned"]}
    assert busy.id not in planned


def test_an_install_waiting_for_an_unplanned_measure_is_held_back(session, crew):
    measure = VisitFactory(window_start=tomorrow_at(9, days=9), window_end=tomorrow_at(12, days=9))
    install = VisitFactory(kind="install", depends_on_visit_id=measure.id, depends_min_days=3)
    proposal = solve(session).proposal
    reasons = {u["visit_id"]: u["reasons"] for u in proposal["unassigned"]}
    assert reasons[install.id][0]["code"] == "predecessor_not_planned"


def test_publishing_schedules_the_proposed_visits(client, session, crew, as_dispatcher):
    run = solve(session)
    response = client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    assert response.status_code == 200, response.json
    session.expire_all()
    for assignment in run.proposal["assignments"]:
        visit = session.get(Visit, assignment["visit_id"])
        assert visit.status == VisitStatus.SCHEDULED
        assert visit.technician_id == assignment["technician_id"]
        assert visit.planned_start.isoformat() == assignment["planned_start"]


def test_publishing_is_refused_when_a_visit_changed_since_the_run(
    client, session, crew, as_dispatcher
):
    run = solve(session)
    changed = crew[1][0]
    client.patch(
        f"/api/v1/visits/{changed.id}",
        json={"priority": 5, "version": changed.version},
        headers=as_dispatcher,
    )
    response = client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    assert response.status_code == 409
    assert response.json["details"]["changed_visit_ids"] == [changed.id]
    session.expire_all()
    assert all(session.get(Visit, v.id).status == VisitStatus.NEW for v in crew[1])


def test_a_run_cannot_be_published_twice(client, session, crew, as_dispatcher):
    run = solve(session)
    client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    response = client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    assert response.status_code == 409


def test_the_diff_shows_a_reassignment_against_the_published_plan(session, crew):
    techs, visits = crew
    moved = visits[0]
    moved.technician_id, moved.planned_start = techs[0].id, tomorrow_at(10)
    moved.status = VisitStatus.SCHEDULED
    session.commit()
    # Only the other technician may take it now.
    run = solve(session, technician_ids=(techs[1].id,))
    diff = run.proposal["diff"]
    assert [d["visit_id"] for d in diff["reassigned"]] == [moved.id]
    assert diff["reassigned"][0]["to"]["technician_id"] == techs[1].id


def test_a_run_started_through_the_api_reports_progress_then_its_proposal(
    client, session, crew, as_dispatcher
):
    response = client.post(
        "/api/v1/dispatch/runs",
        headers=as_dispatcher,
        json={"first_day": tomorrow_at(9).date().isoformat(), "time_limit_s": 1},
    )
    assert response.status_code == 202
    url = f"/api/v1/dispatch/runs/{response.json['id']}"
    deadline = time.monotonic() + 60
    while (run := client.get(url, headers=as_dispatcher).json)["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, run
        time.sleep(0.05)
    assert run["status"] == "succeeded"
    assert run["proposal"]["kpis"]["assigned"] == 3


def test_a_run_is_executed_by_a_real_rq_worker(session, crew, settings, redis_url):
    rq_settings = settings.replace(redis_url=redis_url, rq_queue=f"test-{uuid.uuid4().hex}")
    run = create_run(
        session, RunRequest(first_day=tomorrow_at(9).date(), time_limit_s=1), user_id=None
    )
    session.commit()
    enqueue(rq_settings, run_dispatch, run.id, TZ, long_running=True)
    connection = Redis.from_url(redis_url)
    jobs = queue(rq_settings, connection)
    SimpleWorker([jobs], connection=connection, serializer=jobs.serializer).work(burst=True)
    session.expire_all()
    stored = session.scalar(select(DispatchRun).where(DispatchRun.id == run.id))
    assert stored.status == RunStatus.SUCCEEDED
    assert len(stored.proposal["assignments"]) == 3


def test_an_empty_run_request_is_refused_with_field_errors(client, session, as_dispatcher):
    response = client.post("/api/v1/dispatch/runs", json={"days": 40}, headers=as_dispatcher)
    assert response.status_code == 422
    assert "days" in response.json["errors"]


def test_an_urgent_visit_is_fitted_into_the_published_day(client, session, crew, as_dispatcher):
    run = solve(session)
    client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    urgent = VisitFactory(
        priority=5,
        required_skills={"measure": 1},
        window_start=tomorrow_at(13),
        window_end=tomorrow_at(16),
    )
    response = client.post(
        "/api/v1/dispatch/insertions",
        json={"visit_id": urgent.id, "apply": True},
        headers=as_dispatcher,
    )
    assert response.status_code == 200, response.json
    assert response.json["applied"] is True
    session.expire_all()
    placed = session.get(Visit, urgent.id)
    assert placed.technician_id == response.json["assignment"]["technician_id"]
    assert placed.status == VisitStatus.SCHEDULED


def test_an_urgent_visit_nobody_can_do_gets_reasons(client, session, crew, as_dispatcher):
    urgent = VisitFactory(
        required_skills={"electrical": 3}, window_start=tomorrow_at(13), window_end=tomorrow_at(16)
    )
    response = client.post(
        "/api/v1/dispatch/insertions", json={"visit_id": urgent.id}, headers=as_dispatcher
    )
    assert response.json["assignment"] is None
    assert response.json["reasons"][0]["code"] == "no_skilled_technician"


def test_locking_a_visit_to_nobody_is_refused(client, session, as_dispatcher):
    visit = VisitFactory()
    response = client.patch(
        f"/api/v1/visits/{visit.id}",
        json={"lock": "technician", "version": visit.version},
        headers=as_dispatcher,
    )
    assert response.status_code == 422
    assert "lock" in response.json["errors"]


def test_a_run_with_nobody_on_duty_explains_every_visit(session, crew):
    techs, _ = crew
    for tech in techs:
        tech.shift_pattern = {}
    session.commit()
    run = solve(session)
    assert run.status == RunStatus.SUCCEEDED
    codes = {u["reasons"][0]["code"] for u in run.proposal["unassigned"]}
    assert codes == {"no_technician_on_duty"}


def test_a_published_plan_reaches_the_technicians_phone(client, session, as_dispatcher, phone):
    tech = TechnicianFactory(with_user=True, skills={"measure": 2})
    visit = VisitFactory(
        required_skills={"measure": 1}, window_start=tomorrow_at(9), window_end=tomorrow_at(16)
    )
    device = phone(tech.user)
    device.sync()
    assert ("visit", str(visit.id)) not in device.store.records()
    run = solve(session)
    client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    device.sync()
    held = device.store.records()[("visit", str(visit.id))]
    assert held["technician_id"] == tech.id
    assert held["status"] == "scheduled"
