"""Large dispatch runs solved by zones on several rq workers, then merged and repaired.

`split_run` (called by the dispatch run job) reads the day once, splits it with
`dispatch.zones.split` and enqueues one `solve_zone` job per zone plus a `merge_zones` job that
rq starts once every zone job has ended (`depends_on`). Zone jobs may run on any worker of any
machine sharing the Redis and the database: they get their sub-problem as JSON data, write
their progress to their `DispatchRunZone` row and return their routes as JSON. The merge job
joins the routes, runs the whole day's search from them for what is left of the run's limit
(leftovers, borders) and stores the proposal as a normal run does. As it starts, it enqueues
the same search with another seed (`app.jobs.merge_search`) for a worker the zones left
free, and keeps the better of the two plans (phase "repair_2" while both run).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from rq import Queue, Retry, Worker
from rq.job import Dependency, Job
from sqlalchemy import update

import dispatch
from app.config import Settings, active_settings
from app.database import utcnow
from app.jobs import queue, unit_of_work
from app.jobs.heartbeat import heartbeat
from app.models import DispatchRun, DispatchRunZone, RunStatus
from app.services.dispatching.proposal import (
    ZoneRepair,
    Zones,
    unassigned_from_json,
    unassigned_to_json,
)
from app.services.dispatching.runs import RunRequest, store_proposal
from app.services.dispatching.snapshot import Busy, Snapshot, build_snapshot
from app.services.dispatching.solving import ProgressWriter, build_proposal
from dispatch import wire, zones

log = logging.getLogger(__name__)

RESULT_TTL_S = 24 * 3600  # zone results wait for the merge job this long
SECOND_RESULT_TTL_S = 600  # the merge's second search is read within seconds, or never


def split_run(run_id: int, request: RunRequest, time_zone: str) -> bool:
    """Hand a large run to zone jobs on the queue; False when it should be solved whole.

    A run is split only with Redis configured and when its horizon has at least
    ZONE_SPLIT_MIN_VISITS visits. The run stays "running" in phase "zones" until the merge
    job stores its proposal.
    """
    settings = active_settings()
    if settings.jobs_inline:
        return False
    with unit_of_work() as session:
        snapshot = build_snapshot(session, request, ZoneInfo(time_zone))
    problem = snapshot.problem
    if len(problem.visits) < settings.zone_split_min_visits or not any(
        t.shifts for t in problem.technicians
    ):
        return False
    jobs = queue(settings)
    workers = max(1, Worker.count(queue=jobs))
    parts = zones.split(problem, zones.zone_count(len(problem.visits), workers,
                                                  settings.zone_visits))
    if len(parts) < 2:
        return False
    zone_limit = zones.zone_time_limit(request.time_limit_s, len(parts), workers)
    _enqueue(settings, run_id, time_zone, snapshot, parts, zone_limit)
    log.info("dispatch run %s split into %s zones for %s worker(s), %.1f s each",
             run_id, len(parts), workers, zone_limit)
    return True


def _enqueue(settings: Settings, run_id: int, time_zone: str, snapshot: Snapshot,
             parts: list[zones.Zone], zone_limit: float) -> None:
    jobs = queue(settings)
    with unit_of_work() as session:
        run = session.get(DispatchRun, run_id)
        run.phase = "zones"
        for part in parts:
            session.add(DispatchRunZone(
                run_id=run_id, zone=part.index, technicians=len(part.problem.technicians),
                visits=len(part.problem.visits),
            ))
    # enqueued after the rows are committed, so a worker always finds its row
    zone_jobs = [
        jobs.enqueue(solve_zone, run_id, part.index, wire.problem_to_data(part.problem),
                     zone_limit, result_ttl=RESULT_TTL_S, failure_ttl=RESULT_TTL_S,
                     retry=Retry(max=1))  # a zone whose worker died runs again elsewhere
        for part in parts
    ]
    with unit_of_work() as session:
        for part, job in zip(parts, zone_jobs, strict=True):
            session.execute(update(DispatchRunZone)
                            .where(DispatchRunZone.run_id == run_id,
                                   DispatchRunZone.zone == part.index)
                            .values(job_id=job.id))
    layout = [{"zone": p.index, "centre": list(p.centre),
               "technician_ids": [t.id for t in p.problem.technicians],
               "visit_ids": [v.id for v in p.problem.visits]} for p in parts]
    jobs.enqueue(
        merge_zones, run_id, time_zone, _snapshot_data(snapshot), layout,
        [j.id for j in zone_jobs],
        depends_on=Dependency(jobs=zone_jobs, allow_failure=True),
    )


def solve_zone(run_id: int | None, zone: int, problem_data: dict[str, Any],
               time_limit_s: float) -> dict[str, Any]:
    """Solve one zone; returns its routes, unplaced visits and CPU seconds as JSON data.

    With a `run_id` the zone's progress is written to its `DispatchRunZone` row; without,
    the job needs no database (benchmarks).
    """
    problem = wire.problem_from_data(problem_data)
    record = run_id is not None
    if record:
        _zone_values(run_id, zone, phase="precheck", started_at=utcnow())
    cpu0 = time.process_time()
    part = zones.Zone(zone, (0.0, 0.0), problem)
    progress = ProgressWriter(_zone_progress(run_id, zone)) if record else None
    try:
        with _beating(run_id):
            plan = zones.solve_zone(part, time_limit_s, progress=progress)
    except Exception as exc:
        if record:
            _zone_values(run_id, zone, phase="failed", finished_at=utcnow(),
                         error=f"{type(exc).__name__}: {exc}")
        raise
    cpu = round(time.process_time() - cpu0, 2)
    if record:
        _zone_values(run_id, zone, phase="done", placed=plan.placed, finished_at=utcnow(),
                     cpu_s=cpu)
    return {**zone_plan_data(plan), "cpu_s": cpu}


def merge_zones(run_id: int, time_zone: str, snapshot_data: dict[str, Any],
                layout: list[dict[str, Any]], zone_job_ids: list[str]) -> None:
    """Join the zone plans of run `run_id`, search the whole day from them, store the proposal."""
    settings = active_settings()
    try:
        with unit_of_work() as session:
            run = session.get(DispatchRun, run_id)
            if run is None or run.status != RunStatus.RUNNING:
                log.warning("dispatch run %s is not running; its zones are dropped", run_id)
                return
            run.phase = "repair"
        with _beating(run_id):
            _merge(run_id, settings, snapshot_data, layout, zone_job_ids)
    except Exception as exc:
        log.exception("dispatch run %s failed while merging its zones", run_id)
        with unit_of_work() as session:
            run = session.get(DispatchRun, run_id)
            run.status, run.phase, run.finished_at = RunStatus.FAILED, "failed", utcnow()
            run.error = f"{type(exc).__name__}: {exc}"
        raise


def _beating(run_id: int | None) -> AbstractContextManager[None]:
    """The run's heartbeat while this job works (nothing for a job without a run)."""
    if run_id is None:
        return nullcontext()
    return heartbeat(run_id, active_settings().run_heartbeat_s)


def _merge(run_id: int, settings: Settings, snapshot_data: dict[str, Any],
           layout: list[dict[str, Any]], zone_job_ids: list[str]) -> None:
    snapshot = _snapshot_from(snapshot_data)
    plans = _zone_results(settings, zone_job_ids)
    parts = _zones_from(snapshot.problem, layout)
    started = _started_at(run_id)
    budget = zones.merge_time_limit(snapshot.problem.settings.time_limit_s,
                                    (utcnow() - started).total_seconds())
    second = start_second_search(queue(settings), run_id, snapshot_data["problem"], plans,
                                 budget, snapshot.problem.settings.seed + 1)
    try:
        plan, report = zones.merge(snapshot.problem, plans, parts, time_limit_s=budget,
                                   second=second.wait if second else None)
    finally:
        if second is not None:
            second.drop()
    published = dispatch.evaluate(snapshot.problem, snapshot.published)
    proposal = replace(
        build_proposal(snapshot, plan, published),
        zones=Zones(len(parts), ZoneRepair(report.placed, report.moved, report.border_visits,
                                           report.seconds, report.complete, report.searches,
                                           report.second_kept)),
    )
    with unit_of_work() as session:
        store_proposal(session.get(DispatchRun, run_id), snapshot.visit_versions, proposal)
    log.info("dispatch run %s merged from %s zones: %s assigned, %s unassigned",
             run_id, len(parts), plan.kpis.assigned, plan.kpis.unassigned)


# --- the merge's second search -----------------------------------------------------------------


@dataclass(frozen=True)
class SecondSearch:
    """The merge's second whole-day search, enqueued for a worker the zones left free."""

    job: Job

    def wait(self, seconds: float) -> zones.DayRoutes | None:
        """Its routes once it has finished, waiting at most ``seconds``; None if not (yet)."""
        from app.jobs.merge_search import day_routes_from  # local: merge_search imports this

        until = time.monotonic() + seconds
        while True:
            try:
                status = self.job.get_status(refresh=True)
                if status == "finished":
                    result = self.job.return_value(refresh=True)
                    return None if result is None else day_routes_from(result)
            except Exception:  # the job gone from Redis, a result unreadable: not used
                log.warning("the merge's second search %s could not be read", self.job.id,
                            exc_info=True)
                return None
            if status in ("failed", "stopped", "canceled") or time.monotonic() >= until:
                return None
            time.sleep(0.05)

    def drop(self) -> None:
        """Cancel it if it never started (one worker, or a busy queue): nothing waits for it."""
        try:
            if self.job.get_status(refresh=True) in ("queued", "deferred", "scheduled"):
                self.job.cancel()
        except Exception:  # a result expired or a job gone: nothing left to cancel
            log.warning("could not cancel the merge's second search %s", self.job.id)


def start_second_search(jobs: Queue, run_id: int | None, problem_data: dict[str, Any],
                        plans: list[zones.ZonePlan], merge_limit_s: float,
                        seed: int) -> SecondSearch | None:
    """Enqueue the merge's second search when another worker is there to run it; else None.

    Call it as the merge starts: it ends when the merge's own search does
    (`zones.second_search_limit` from now, an instant shared by the machines through their
    clocks), however late a worker takes it; it is never retried (a late result is useless:
    the merge has moved on).
    """
    from app.jobs.merge_search import search_merge  # local: merge_search imports this module

    if Worker.count(queue=jobs) < 2:
        return None
    until = time.time() + zones.second_search_limit(merge_limit_s, len(problem_data["visits"]))
    job = jobs.enqueue(search_merge, run_id, problem_data, [zone_plan_data(p) for p in plans],
                       until, seed, result_ttl=SECOND_RESULT_TTL_S, failure_ttl=RESULT_TTL_S,
                       job_timeout=max(60, int(3 * merge_limit_s)))
    return SecondSearch(job)


# --- progress ---------------------------------------------------------------------------------


def _zone_values(run_id: int, zone: int, **values: Any) -> None:
    with unit_of_work() as session:
        session.execute(update(DispatchRunZone)
                        .where(DispatchRunZone.run_id == run_id, DispatchRunZone.zone == zone)
                        .values(**values))


def _zone_progress(run_id: int, zone: int):
    def commit(phase: str, best_cost: float | None, solutions: int) -> None:
        values: dict[str, Any] = {"phase": phase, "solutions_found": solutions}
        if best_cost is not None:
            values["best_cost"] = best_cost
        _zone_values(run_id, zone, **values)

    return commit


def _started_at(run_id: int) -> dt.datetime:
    with unit_of_work() as session:
        run = session.get(DispatchRun, run_id)
        return run.started_at or utcnow()


# --- data passed between jobs -----------------------------------------------------------------


def zone_plan_data(plan: zones.ZonePlan) -> dict[str, Any]:
    """A zone plan as JSON-ready data (a zone job's result)."""
    return {
        "zone": plan.zone,
        "routes": [{"technician_id": r.technician_id, "day": r.day.isoformat(),
                    "shift_start": None if r.shift_start is None else r.shift_start.isoformat(),
                    "visit_ids": list(r.visit_ids)} for r in plan.routes],
        "unplaced": list(plan.unplaced),
        "objective": plan.objective,
    }


def zone_plan_from(data: dict[str, Any]) -> zones.ZonePlan:
    """The zone plan `zone_plan_data` described."""
    return zones.ZonePlan(
        zone=data["zone"],
        routes=tuple(zones.ZoneRoute(r["technician_id"], dt.date.fromisoformat(r["day"]),
                                     tuple(r["visit_ids"]), _instant(r.get("shift_start")))
                     for r in data["routes"]),
        unplaced=tuple(data["unplaced"]),
        objective=data["objective"],
    )


def _instant(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _zone_results(settings: Settings, job_ids: list[str]) -> list[zones.ZonePlan]:
    jobs = queue(settings)
    plans = []
    for zone, job_id in enumerate(job_ids):
        job = Job.fetch(job_id, connection=jobs.connection, serializer=jobs.serializer)
        result = job.return_value()
        if job.get_status() != "finished" or result is None:
            raise RuntimeError(f"zone {zone + 1} (job {job_id}) did not finish: "
                               f"{job.get_status()}; re-run the optimizer")
        plans.append(zone_plan_from(result))
    return plans


def _zones_from(problem: dispatch.Problem, layout: list[dict[str, Any]]) -> list[zones.Zone]:
    techs = {t.id: t for t in problem.technicians}
    visits = {v.id: v for v in problem.visits}
    parts = []
    for z in layout:
        sub = dispatch.Problem(
            technicians=[techs[t] for t in z["technician_ids"]],
            visits=[visits[v] for v in z["visit_ids"]],
            horizon_start=problem.horizon_start, horizon_days=problem.horizon_days,
            settings=problem.settings,
        )
        parts.append(zones.Zone(z["zone"], (z["centre"][0], z["centre"][1]), sub))
    return parts


def _snapshot_data(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "problem": wire.problem_to_data(snapshot.problem),
        "visit_versions": snapshot.visit_versions,
        "published": {k: [tech, start.isoformat()] for k, (tech, start) in
                      snapshot.published.items()},
        "held_back": [unassigned_to_json(u) for u in snapshot.held_back],
        "fixed": {k: [b.technician_id, b.start.isoformat(), b.end.isoformat()]
                  for k, b in snapshot.fixed.items()},
        "durations": snapshot.durations,
        "keep_published": snapshot.keep_published,
        "outside_run": sorted(snapshot.outside_run),
        "technician_names": snapshot.technician_names,
    }


def _snapshot_from(data: dict[str, Any]) -> Snapshot:
    return Snapshot(
        problem=wire.problem_from_data(data["problem"]),
        visit_versions={k: int(v) for k, v in data["visit_versions"].items()},
        published={k: (tech, dt.datetime.fromisoformat(start))
                   for k, (tech, start) in data["published"].items()},
        held_back=tuple(unassigned_from_json(u) for u in data["held_back"]),
        fixed={k: Busy(tech, dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end))
               for k, (tech, start, end) in data["fixed"].items()},
        durations={k: int(v) for k, v in data["durations"].items()},
        keep_published=bool(data["keep_published"]),
        outside_run=frozenset(data["outside_run"]),
        technician_names=dict(data["technician_names"]),
    )
