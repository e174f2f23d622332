"""Runs never hang: heartbeats while solving, stale runs failed with a reason, retries."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import SimpleWorker
from sqlalchemy import select

from app.config import activate
from app.database import utcnow
from app.jobs import enqueue
from app.jobs.dispatching import run_dispatch
from app.jobs.periodic import PERIODIC_JOBS
from app.jobs.runs import STALE_RUNS_JOB_ID, fail_stale
from app.models import DispatchRun, RunStatus
from app.services.dispatching.runs import RunRequest, create_run
from app.services.run_health import fail_stale_runs
from tests.conftest import wait_for_background_runs
from tests.factories import TechnicianFactory, measure_visits_tomorrow, tomorrow_at

TZ = "Asia/Shanghai"
# Tests of live runs beat every quarter second and call a run stale after a second of silence.
BEAT_S, STALE_AFTER_S = 0.25, 1.0


@pytest.fixture
def crew(session):
    techs = [TechnicianFactory(skills={"measure": 2}) for _ in range(3)]
    return techs, measure_visits_tomorrow(12)


def queued_run(session, time_limit_s=1.0):
    run = create_run(
        session,
        RunRequest(first_day=tomorrow_at(9).date(), time_limit_s=time_limit_s),
        user_id=None,
    )
    session.commit()
    return run


def running_run(session, *, heartbeat_age_s):
    run = queued_run(session)
    now = utcnow()
    run.status, run.started_at = RunStatus.RUNNING, now - dt.timedelta(minutes=5)
    run.heartbeat_at = now - dt.timedelta(seconds=heartbeat_age_s)
    session.commit()
    return run


def wait_for(session, run_id, predicate, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        session.expire_all()
        run = session.get(DispatchRun, run_id)
        if predicate(run):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never got there: {run.status} {run.phase}")


def test_a_run_without_heartbeat_for_too_long_is_failed_with_a_reason(session):
    dead = running_run(session, heartbeat_age_s=120)
    alive = running_run(session, heartbeat_age_s=2)
    failed = fail_stale_runs(session, utcnow(), stale_after_s=40)
    session.commit()
    assert [s.run_id for s in failed] == [dead.id]
    session.expire_all()
    dead, alive = session.get(DispatchRun, dead.id), session.get(DispatchRun, alive.id)
    assert dead.status == RunStatus.FAILED
    assert dead.finished_at is not None
    assert "no heartbeat since" in dead.error
    assert alive.status == RunStatus.RUNNING


def test_the_stale_run_job_is_periodic_and_fails_stale_runs(session):
    assert any(p.job_id == STALE_RUNS_JOB_ID for p in PERIODIC_JOBS)
    dead = running_run(session, heartbeat_age_s=3600)
    assert fail_stale() == [dead.id]


def test_a_killed_worker_is_noticed_within_a_minute_by_default(settings):
    # Beats stop at the kill; the run is failed at the first check after RUN_STALE_AFTER.
    assert settings.run_stale_after_s + settings.run_stale_check_s <= 60
    assert settings.run_stale_after_s >= 2 * settings.run_heartbeat_s


def test_polling_a_dead_run_reports_it_failed(client, session, as_dispatcher):
    dead = running_run(session, heartbeat_age_s=3600)
    response = client.get(f"/api/v1/dispatch/runs/{dead.id}", headers=as_dispatcher)
    assert response.json["status"] == "failed"
    assert "no heartbeat" in response.json["error"]


def test_a_solve_stamps_its_heartbeat_as_it_works(session, crew, searches_use_their_time_limit):
    activate(searches_use_their_time_limit.replace(run_heartbeat_s=BEAT_S))
    run = queued_run(session, time_limit_s=1)
    run_dispatch(run.id, TZ)
    session.refresh(run)
    assert run.status == RunStatus.SUCCEEDED
    # stamped in the last third of the solve, not only as it started
    assert run.heartbeat_at > run.started_at + dt.timedelta(seconds=0.65)


def test_a_failed_run_is_retried_with_the_same_request(
    client, session, crew, as_dispatcher, runs_wait_in_a_queue
):
    dead = running_run(session, heartbeat_age_s=3600)
    fail_stale()
    response = client.post(f"/api/v1/dispatch/runs/{dead.id}/retry", headers=as_dispatcher)
    assert response.status_code == 202, response.json
    assert response.json["retry_of_run_id"] == dead.id
    assert response.json["params"] == dead.params
    # the retry is queued like any run and solved by whichever worker takes it (here, one in
    # this process; a run solved in a process of its own: tests/app/test_dispatch_runs.py)
    jobs = runs_wait_in_a_queue
    SimpleWorker([jobs], connection=jobs.connection, serializer=jobs.serializer).work(burst=True)
    again = wait_for(session, response.json["id"], lambda r: r.status == RunStatus.SUCCEEDED)
    assert len(again.proposal["assignments"]) == 12


@pytest.mark.parametrize("status", ["succeeded", "running", "queued"])
def test_only_a_failed_run_can_be_retried(client, session, as_dispatcher, status):
    run = queued_run(session)
    run.status = RunStatus(status)
    session.commit()
    response = client.post(f"/api/v1/dispatch/runs/{run.id}/retry", headers=as_dispatcher)
    assert response.status_code == 409
    assert response.json["code"] == "run_not_failed"


def test_a_run_failed_meanwhile_keeps_its_failure(session, crew):
    run = queued_run(session, time_limit_s=1)
    run.status = RunStatus.FAILED
    session.commit()
    run_dispatch(run.id, TZ)  # not queued any more: skipped
    session.refresh(run)
    assert run.status == RunStatus.FAILED
    assert run.proposal is None


def process_tree(pid):
    """`pid` and its descendants (rq's work horse runs in a session of its own)."""
    found = [pid]
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as children:
            for child in children.read().split():
                found += process_tree(int(child))
    return found


def kill_and_wait_for_failure(session, run_id, pids):
    """Kill the solving process mid-solve; the stale check must fail the run soon after."""
    alive = wait_for(
        session, run_id, lambda r: r.status == RunStatus.RUNNING and r.phase != "precheck"
    )
    # While it lives, beats keep it off the stale list even with a short threshold: checked
    # once the run is older than the threshold (its start no longer counts as a beat). Warming
    # and the precheck have used part of that time already.
    old_enough = alive.started_at + dt.timedelta(seconds=STALE_AFTER_S + 0.25)
    time.sleep(max(0.0, (old_enough - utcnow()).total_seconds()))
    assert fail_stale_runs(session, utcnow(), stale_after_s=STALE_AFTER_S, run_ids=(run_id,)) == []
    session.commit()
    for pid in pids():
        os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    failed = []
    while not failed:
        assert time.monotonic() - killed_at < 60, "the killed run was not failed within a minute"
        time.sleep(0.05)
        failed = fail_stale_runs(session, utcnow(), stale_after_s=STALE_AFTER_S, run_ids=(run_id,))
        session.commit()
    session.expire_all()
    run = session.get(DispatchRun, run_id)
    assert run.status == RunStatus.FAILED
    assert "no heartbeat" in run.error
    assert alive.started_at is not None
    return run


def test_killing_the_separate_solving_process_fails_the_run(
    session, crew, searches_use_their_time_limit
):
    fast = searches_use_their_time_limit.replace(
        run_heartbeat_s=BEAT_S, run_stale_after_s=STALE_AFTER_S
    )
    run = queued_run(session, time_limit_s=20)
    job = enqueue(fast, run_dispatch, run.id, TZ, long_running=True)
    assert job.startswith("process:")
    kill_and_wait_for_failure(session, run.id, lambda: [int(job.split(":")[1])])


def test_killing_a_real_rq_worker_mid_solve_fails_the_run(session, crew, settings, redis_url):
    queue_name = f"test-kill-{uuid.uuid4().hex}"
    rq_settings = settings.replace(redis_url=redis_url, rq_queue=queue_name)
    run = queued_run(session, time_limit_s=20)
    enqueue(rq_settings, run_dispatch, run.id, TZ, long_running=True)
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": queue_name,
        "RUN_HEARTBEAT_INTERVAL": str(BEAT_S),
        "RUN_STALE_AFTER": str(STALE_AFTER_S),
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "rq-worker", "--burst"],
        env=env,
    )
    try:
        # The worker and its work horse, as when the machine or container running them dies.
        kill_and_wait_for_failure(session, run.id, lambda: process_tree(worker.pid))
    finally:
        worker.wait(timeout=30)
    assert session.scalar(select(DispatchRun.status).where(DispatchRun.id == run.id)) == "failed"
    wait_for_background_runs()


def test_a_run_that_cannot_be_handed_to_a_worker_fails_at_once(session, settings):
    from app.jobs.dispatching import start_solving

    nowhere = settings.replace(redis_url="redis://127.0.0.1:1/0", rq_queue="unreachable")
    run = queued_run(session)
    with pytest.raises(RedisConnectionError):
        start_solving(nowhere, run.id)
    session.expire_all()
    failed = session.get(DispatchRun, run.id)
    assert failed.status == RunStatus.FAILED
    assert "could not be started" in failed.error
