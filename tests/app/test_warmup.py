"""Processes that solve load the planner's compiled search before their first job."""

from __future__ import annotations

import time
from types import SimpleNamespace

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


def test_the_warm_up_runs_the_search_loop_however_long_compiling_took(monkeypatch):
    # On a fresh install compiling takes tens of seconds: a clock past any limit must not stop
    # the warm-up before the main loop, or the first real solve would compile it.
    searched = []
    search = dispatch.ruin_recreate._Search.run
    ticks = iter(range(0, 10**9, 1000))
    clock = SimpleNamespace(perf_counter=lambda: next(ticks), process_time=time.process_time)
    monkeypatch.setattr(dispatch.ruin_recreate, "time", clock)
    monkeypatch.setattr(
        dispatch.ruin_recreate._Search,
        "run",
        lambda self, *args: searched.append(args) or search(self, *args),
    )
    dispatch.ruin_recreate.warm()
    assert searched
