"""A large day is split into zones solved by separate rq worker processes, then merged."""

from __future__ import annotations

import datetime as dt
import math
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from redis import Redis
from rq import Worker
from rq.job import Job

from app.config import activate
from app.jobs import enqueue, queue
from app.jobs.dispatching import run_dispatch
from app.jobs.merge_search import search_merge
from app.jobs.zone_solve import SecondSearch, split_run
from app.models import DispatchRun, RunStatus, Technician, Visit
from app.services.dispatching.runs import RunRequest, create_run
from tests.factories import SiteFactory, TechnicianFactory, VisitFactory, tomorrow_at

TZ = "Asia/Shanghai"
WEST, EAST = 121.40, 121.56
# the planner's travel model is 1.3 times crow flight at 25 km/h; this check only assumes 40 km/h
CHECK_SPEED_KMH = 40.0
# The workers' searches stop after this much work (about a second each on a quiet machine), the
# runs' time limits only bound them: searching to a 10-second limit held both cores for the
# whole limit, and on a busy machine the zones overran their share and left the merge too
# little time for its second search to show. Enough work that the phases last to be watched.
SEARCH_ITERATIONS = 20_000


@pytest.fixture
def two_districts(session):
    """Four measurers in the west, four in the east (one stone fitter), 24 visits tomorrow."""
    techs = [TechnicianFactory(home_lon=WEST, skills={"measure": 1}) for _ in range(4)]
    techs += [TechnicianFactory(home_lon=EAST, skills={"measure": 1}) for _ in range(3)]
    techs.append(TechnicianFactory(home_lon=EAST, skills={"measure": 1, "stone_worktop": 2}))
    visits = [
        VisitFactory(
            site=SiteFactory(lat=31.20 + 0.01 * (i % 6), lon=lon + 0.004 * (i // 6)),
            required_skills={"measure": 1},
            duration_min=45,
            window_start=tomorrow_at(9),
            window_end=tomorrow_at(16),
            priority=1 + i % 4,
        )
        for lon in (WEST, EAST)
        for i in range(11)
    ]
    # must-do, in the west, but only the eastern stone fitter can do it
    must_do = VisitFactory(
        site=SiteFactory(lat=31.22, lon=WEST + 0.01),
        required_skills={"stone_worktop": 1},
        duration_min=60,
        priority=5,
        window_start=tomorrow_at(9),
        window_end=tomorrow_at(16),
        sla_due=tomorrow_at(16),
        sla_hard=True,
    )
    border = VisitFactory(site=SiteFactory(lat=31.21, lon=(WEST + EAST) / 2),
                          required_skills={"measure": 1}, window_start=tomorrow_at(9),
                          window_end=tomorrow_at(16))
    return techs, [*visits, must_do, border], must_do


class WorkerPool:
    """`flask rq-worker` processes on a queue of their own, splitting a day from 10 visits."""

    def __init__(self, settings, redis_url, size):
        queue_name = f"test-zones-{uuid.uuid4().hex}"
        self.env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": redis_url,
            "RQ_QUEUE": queue_name,
            "ZONE_SPLIT_MIN_VISITS": "10",
            "ZONE_VISITS": "20",
            "SOLVER_SEARCH_ITERATIONS": str(SEARCH_ITERATIONS),
            "LOG_LEVEL": "WARNING",
        }
        self.size = size
        self.procs: list[subprocess.Popen] = []
        self.rq_settings = settings.replace(redis_url=redis_url, rq_queue=queue_name)
        self.jobs = queue(self.rq_settings, Redis.from_url(redis_url))

    def ready(self, timeout_s=90):
        """Every worker alive, registered and idle, and the queue empty.

        A worker a test killed is replaced, and its registration (which would outlive it for
        minutes) removed: the runs split by the number of workers registered.
        """
        self.procs = [p for p in self.procs if p.poll() is None]
        live = {p.pid for p in self.procs}
        for worker in Worker.all(queue=self.jobs):
            if worker.pid not in live:
                worker.register_death()
        self.procs += [
            subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "rq-worker"],
                             env=self.env)
            for _ in range(self.size - len(self.procs))
        ]
        self.jobs.empty()
        # A worker registers once started and warmed (seconds; more on a loaded machine).
        deadline = time.monotonic() + timeout_s
        while not self.idle():
            assert time.monotonic() < deadline, "the rq workers did not start or stay busy"
            assert all(p.poll() is None for p in self.procs), "an rq worker exited"
            time.sleep(0.05)

    def idle(self):
        workers = Worker.all(queue=self.jobs)
        return len(workers) == self.size and all(w.get_state() == "idle" for w in workers)

    def settle(self, timeout_s=60):
        """Wait until the live workers have finished their jobs (before the tables are emptied)."""
        deadline = time.monotonic() + timeout_s
        while any(w.get_state() == "busy" for w in Worker.all(queue=self.jobs)
                  if w.pid in {p.pid for p in self.procs if p.poll() is None}):
            assert time.monotonic() < deadline, "an rq worker stayed busy"
            time.sleep(0.05)

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture(scope="module")
def worker_pool(settings, redis_url):
    """Two rq workers for this module's tests: starting and warming one costs seconds of CPU."""
    pool = WorkerPool(settings, redis_url, size=2)
    try:
        yield pool
    finally:  # workers that failed to start are stopped too
        pool.stop()


@pytest.fixture
def workers(worker_pool):
    """Two live, idle rq workers on an empty queue; yields the settings that enqueue there."""
    worker_pool.ready()
    yield worker_pool.rq_settings
    worker_pool.settle()


def wait_for(session, run_id, client, headers, timeout=60):
    seen_zones = []
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/dispatch/runs/{run_id}", headers=headers).json
        if body["zones"]:
            seen_zones.append(body["zones"])
        if body["status"] in ("succeeded", "failed"):
            return body, seen_zones
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def km(a, b):
    dlat = math.radians(b[0] - a[0])
    dlon = math.radians(b[1] - a[1])
    h = (math.sin(dlat / 2) ** 2
         + math.cos(math.radians(a[0])) * math.cos(math.radians(b[0])) * math.sin(dlon / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def assert_feasible(session, proposal):
    """Re-check every route from the database rows, without the planner's code."""
    at = dt.datetime.fromisoformat
    for route in proposal["routes"]:
        tech = session.get(Technician, route["technician_id"])
        skills = tech.skill_levels()
        home = (tech.home_lat, tech.home_lon)
        day = dt.date.fromisoformat(route["day"])
        shift_start = dt.datetime.combine(day, dt.time(8), tzinfo=tomorrow_at(8).tzinfo)
        shift_end = dt.datetime.combine(day, dt.time(17), tzinfo=tomorrow_at(8).tzinfo)
        assert at(route["start"]) >= shift_start
        assert at(route["end"]) <= shift_end
        stops = [a for a in proposal["assignments"] if a["technician_id"] == tech.id]
        stops.sort(key=lambda a: a["sequence"])
        assert [s["visit_id"] for s in stops] == route["visit_ids"]
        where, free_at = home, at(route["start"])
        lunch = at(route["break_start"]) if route["break_start"] else None
        for stop in stops:
            visit = session.get(Visit, stop["visit_id"])
            site = (visit.site.lat, visit.site.lon)
            start, end = at(stop["planned_start"]), at(stop["end"])
            drive = dt.timedelta(hours=km(where, site) / CHECK_SPEED_KMH)
            assert start >= free_at + drive, f"visit {visit.id} starts before it can be reached"
            assert visit.window_start <= start <= visit.window_end, f"visit {visit.id} window"
            assert end - start == dt.timedelta(minutes=visit.duration_min)
            for need in visit.required_skills:
                assert skills.get(need.skill.code, -1) >= need.min_level, "skill"
            if lunch is not None:
                assert end <= lunch or start >= lunch + dt.timedelta(minutes=45), "lunch"
            where, free_at = site, end
        assert at(route["end"]) >= free_at + dt.timedelta(hours=km(where, home) / CHECK_SPEED_KMH)


@pytest.mark.slow
def test_a_large_day_is_solved_by_zones_on_separate_workers(
    session, client, as_dispatcher, two_districts, workers
):
    techs, visits, must_do = two_districts
    run = create_run(session, RunRequest(first_day=tomorrow_at(9).date(), time_limit_s=2),
                     user_id=None)
    session.commit()
    enqueue(workers, run_dispatch, run.id, TZ, long_running=True)

    body, seen = wait_for(session, run.id, client, as_dispatcher)

    assert body["status"] == "succeeded", body["error"]
    proposal = body["proposal"]
    assert proposal["zones"]["zones"] == 2
    zones = body["zones"]
    assert [z["zone"] for z in zones] == [0, 1]
    assert sum(z["visits"] for z in zones) == len(visits)
    assert sum(z["technicians"] for z in zones) == len(techs)
    assert all(z["phase"] == "done" and z["placed"] > 0 and z["cpu_s"] > 0 for z in zones)
    # progress showed the zones while they were being solved
    assert any(z["phase"] != "done" for snapshot in seen for z in snapshot)
    accounted = {a["visit_id"] for a in proposal["assignments"]}
    accounted |= {u["visit_id"] for u in proposal["unassigned"]}
    assert accounted == {v.id for v in visits}
    placed = {a["visit_id"]: a["technician_id"] for a in proposal["assignments"]}
    assert placed[must_do.id] == techs[-1].id
    assert len(placed) >= len(visits) - 2
    assert_feasible(session, proposal)
    session.expire_all()
    assert session.get(DispatchRun, run.id).status == RunStatus.SUCCEEDED


def test_a_day_below_the_split_size_is_solved_whole_even_with_redis(
    session, settings, redis_url, two_districts
):
    request = RunRequest(first_day=tomorrow_at(9).date(), time_limit_s=1)
    run = create_run(session, request, user_id=None)
    session.commit()
    try:
        activate(settings.replace(redis_url=redis_url, rq_queue=f"test-{uuid.uuid4().hex}",
                                  zone_split_min_visits=100))
        assert split_run(run.id, request, TZ) is False
        activate(settings.replace(zone_split_min_visits=10))
        assert split_run(run.id, request, TZ) is False  # inline: no workers to split across
    finally:
        activate(settings)


def watch(client, run_id, headers, on_phase=None, timeout=90):
    """Poll the run until it ends: its last body and every phase seen, in order."""
    phases: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/dispatch/runs/{run_id}", headers=headers).json
        if not phases or phases[-1] != body["phase"]:
            phases.append(body["phase"])
            if on_phase is not None:
                on_phase(body["phase"])
        if body["status"] in ("succeeded", "failed"):
            return body, phases
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def start_split_run(session, workers, time_limit_s):
    run = create_run(session, RunRequest(first_day=tomorrow_at(9).date(),
                                         time_limit_s=time_limit_s), user_id=None)
    session.commit()
    enqueue(workers, run_dispatch, run.id, TZ, long_running=True)
    return run


def assert_every_visit_accounted_for(proposal, visits):
    accounted = {a["visit_id"] for a in proposal["assignments"]}
    accounted |= {u["visit_id"] for u in proposal["unassigned"]}
    assert accounted == {v.id for v in visits}


@pytest.mark.slow
def test_while_the_merge_searches_the_other_worker_searches_too_and_progress_shows_both(
    session, client, as_dispatcher, two_districts, workers
):
    _, visits, _ = two_districts
    run = start_split_run(session, workers, time_limit_s=10)

    body, phases = watch(client, run.id, as_dispatcher)

    assert body["status"] == "succeeded", body["error"]
    assert phases.index("zones") < phases.index("repair_2") < phases.index("done")
    assert body["proposal"]["zones"]["repair"]["searches"] == 2
    assert_every_visit_accounted_for(body["proposal"], visits)
    assert_feasible(session, body["proposal"])


def kill_worker_running(rq_settings, function_name):
    """SIGKILL the worker (and the work horse under it) that runs a job of ``function_name``."""
    jobs = queue(rq_settings, Redis.from_url(rq_settings.redis_url))
    for worker in Worker.all(queue=jobs):
        job_id = worker.get_current_job_id()
        if job_id is None:
            continue
        job = Job.fetch(job_id, connection=jobs.connection, serializer=jobs.serializer)
        if job.func_name.endswith(function_name):
            with open(f"/proc/{worker.pid}/task/{worker.pid}/children") as children:
                horses = [int(pid) for pid in children.read().split()]
            for pid in [worker.pid, *horses]:
                os.kill(pid, signal.SIGKILL)
            return True
    return False


@pytest.mark.slow
def test_a_second_search_lost_with_its_worker_leaves_the_merge_its_own_plan(
    session, client, as_dispatcher, two_districts, workers
):
    techs, visits, must_do = two_districts
    run = start_split_run(session, workers, time_limit_s=10)
    killed = []

    def kill_the_second_search(phase):
        # the second search is queued as the phase begins; a busy machine starts it later
        deadline = time.monotonic() + 5
        while phase == "repair_2" and not killed:
            found = kill_worker_running(workers, "search_merge")
            if found or time.monotonic() > deadline:
                killed.append(found)
            time.sleep(0.05)

    body, _ = watch(client, run.id, as_dispatcher, on_phase=kill_the_second_search)

    assert killed == [True]
    assert body["status"] == "succeeded", body["error"]
    assert body["proposal"]["zones"]["repair"]["searches"] == 1
    assert_every_visit_accounted_for(body["proposal"], visits)
    placed = {a["visit_id"]: a["technician_id"] for a in body["proposal"]["assignments"]}
    assert placed[must_do.id] == techs[-1].id
    assert_feasible(session, body["proposal"])


@pytest.fixture
def idle_queue(settings, redis_url):
    """A queue of this test that no worker listens on."""
    return queue(settings.replace(redis_url=redis_url, rq_queue=f"test-{uuid.uuid4().hex}"),
                 Redis.from_url(redis_url))


def test_a_second_search_no_worker_took_is_not_waited_for_and_is_cancelled(idle_queue):
    second = SecondSearch(idle_queue.enqueue(search_merge, None, {}, [], 0.0, 1))

    assert second.wait(0.2) is None
    second.drop()
    assert second.job.get_status(refresh=True) == "canceled"


def test_a_second_search_gone_from_redis_is_simply_not_used(idle_queue):
    second = SecondSearch(idle_queue.enqueue(search_merge, None, {}, [], 0.0, 1))
    second.job.delete()

    assert second.wait(0.2) is None
    second.drop()  # nothing left to cancel, and no error
