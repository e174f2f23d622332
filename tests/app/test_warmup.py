"""Processes that solve load the planner's compiled search before their first job."""

from __future__ import annotations

import dispatch.ruin_recreate
from app.jobs import warmup


def test_warming_runs_the_planners_own_warm_up(monkeypatch):
    calls = []
    monkeypatch.setattr(dispatch.ruin_recreate, "warm", lambda: calls.append("warm"))
    warmup.warm_planner()
    assert calls == ["warm"]


def test_a_planner_without_a_warm_up_is_left_alone(monkeypatch):
    monkeypatch.delattr(dispatch.ruin_recreate, "warm")
    warmup.warm_planner()  # nothing to call, nothing raised


def test_the_real_warm_up_solves_its_tiny_problem():
    warmup.warm_planner()


def test_a_dispatch_job_warms_the_planner_before_it_solves(monkeypatch, session):
    from app.jobs import dispatching as job
    from app.models import DispatchRun, RunStatus
    from app.services.dispatching.runs import RunRequest, create_run
    from tests.factories import TechnicianFactory, measure_visits_tomorrow, tomorrow_at

    calls = []
    solve = job.compute_proposal
    monkeypatch.setattr(job, "warm_planner", lambda: calls.append("warm"))
    monkeypatch.setattr(
        job, "compute_proposal", lambda *a, **k: calls.append("solve") or solve(*a, **k)
    )
    TechnicianFactory(skills={"measure": 1})
    measure_visits_tomorrow(1)
    run = create_run(
        session, RunRequest(first_day=tomorrow_at(9).date(), time_limit_s=1), user_id=None
    )
    session.commit()
    job.run_dispatch(run.id, "Asia/Shanghai")
    session.expire_all()
    assert session.get(DispatchRun, run.id).status == RunStatus.SUCCEEDED
    assert calls == ["warm", "solve"]
