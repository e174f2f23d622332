"""The second whole-day search of a zone run's merge, on a worker the zones left free.

While the merge job (`app.jobs.zone_solve.merge_zones`) searches the whole day from the joined
zone routes, this job runs the same search from the same routes with another seed on another
worker and returns its routes as JSON data. It writes nothing but the run's phase: the merge
checks its routes, keeps the better plan and stores it. A second search that is lost with its
worker, fails or ends late is simply not used.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import update

from app.jobs import unit_of_work
from app.jobs.zone_solve import zone_plan_data, zone_plan_from
from app.models import DispatchRun, RunStatus
from dispatch import wire, zones

# the run's phase while the merge and this search run side by side
PHASE = "repair_2"


def search_merge(run_id: int | None, problem_data: dict[str, Any],
                 zone_results: list[dict[str, Any]], until: float,
                 seed: int) -> dict[str, Any]:
    """Search the whole day from the joined zone routes with ``seed``; its routes as JSON data.

    The search ends by ``until`` (Unix time, seconds), when the merge's own search ends,
    however late a worker took this job. With a `run_id` the run's phase shows two searches
    while this one runs (only while the merge's phase is "repair": a run already stored or
    failed is left alone).
    """
    cpu0 = time.process_time()
    problem = wire.problem_from_data(problem_data)
    plans = [zone_plan_from(r) for r in zone_results]
    if run_id is not None:
        _phase(run_id)
    # what is left once the job is read and the run shows it (a loaded machine: seconds)
    found = zones.search_joined(problem, plans, time_limit_s=max(0.1, until - time.time()),
                                seed=seed)
    return {**day_routes_data(found), "cpu_s": round(time.process_time() - cpu0, 2)}


def _phase(run_id: int) -> None:
    # the phase stays until the merge stores its plan ("done"): the merge may still be waiting
    # for this search's routes, and no write should stand between them and the merge
    with unit_of_work() as session:
        session.execute(update(DispatchRun)
                        .where(DispatchRun.id == run_id, DispatchRun.phase == "repair",
                               DispatchRun.status == RunStatus.RUNNING)
                        .values(phase=PHASE))


def day_routes_data(found: zones.DayRoutes) -> dict[str, Any]:
    """A second search's routes as JSON-ready data (this job's result)."""
    routes = zone_plan_data(zones.ZonePlan(-1, found.routes, ()))["routes"]
    return {"routes": routes, "objective": found.objective, "seed": found.seed}


def day_routes_from(data: dict[str, Any]) -> zones.DayRoutes:
    """The second search's routes `day_routes_data` described."""
    plan = zone_plan_from({"zone": -1, "routes": data["routes"], "unplaced": [],
                           "objective": data["objective"]})
    return zones.DayRoutes(plan.routes, int(data["objective"]), int(data["seed"]))
