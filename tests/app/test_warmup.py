"""Processes that solve load the planner's compiled search before their first job."""

from __future__ import annotations

import json

import dispatch.ruin_recreate
from app.jobs import process, warmup

CALLS: list[str] = []


def record_job(name: str) -> None:
    """A job for the solving process: notes that it ran."""
    CALLS.append(f"job {name}")


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


def test_the_solving_process_warms_the_planner_before_its_job(monkeypatch, settings):
    CALLS.clear()
    monkeypatch.setattr(process, "warm_planner", lambda: CALLS.append("warm"))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    spec = {"func": f"{__name__}:record_job", "args": ["solve"], "kwargs": {}}
    assert process.main([json.dumps(spec)]) == 0
    assert CALLS == ["warm", "job solve"]
