"""A generated city day solved whole (one process) and by zones on 1 and 2 real rq workers.

Usage: python bench/zones.py [--generated 360x2000] [--time-limit 57] [--workers 2 1]
                             [--whole-limits 57 114] [--zone-limit S] [--merge-limit S]
                             [--overbooked] [--no-second-search]
                             [--check-city ../shared/bench/city/check_city.py]
Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/0); no database: the zone jobs are the
app's `solve_zone` jobs without a run. Workers are `rq worker` processes started here on a
queue of their own (the planner warmed, as `flask rq-worker` does) before the clock starts.

The day is the one `python -m dispatch.bench city-compare --generated TxV` solves (the same
instance, so VROOM's figures there apply): its fixed travel matrix is the planner's travel
model with the instance's detour and speed, which the zone jobs use. The zone run follows the
app's policy (`dispatch.zones.zone_count`, `zone_time_limit`, the merge gets what is left of
``--time-limit``); ``--zone-limit``/``--merge-limit`` fix those instead, e.g. to give 1 worker
the work 2 workers did (the speed-up is then the ratio of wall times). The whole day is solved
in one process at each of ``--whole-limits`` (equal wall and equal CPU). Every plan is
re-simulated by dispatch.verify and, given ``--check-city``, by the standalone checker.
With 2 or more workers the merge (here, in this process) has a second whole-day search run
meanwhile on a free worker, as the app's merge job does (``--no-second-search``: without).
CPU s is this process plus every zone job's and the second search's `process_time`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, replace

from redis import Redis
from rq import Queue, Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from app.config import Settings
from app.jobs.zone_solve import solve_zone, start_second_search, zone_plan_from
from dispatch import Plan, SolverSettings, cityday, citygen, ruin_recreate, solve, wire, zones
from dispatch.travel import GeodesicProvider
from dispatch.verify import verify_sequences


@dataclass(frozen=True)
class Run:
    """One solve of the day: its plan, wall and CPU seconds, and what to note beside it."""

    label: str
    plan: Plan
    wall_s: float
    cpu_s: float
    note: str = ""


def city_day(size: str, seed: int, overbooked: bool = False) -> cityday.CityDay:
    """The generated day of ``city-compare --generated size``, travel in the problem's settings.

    ``overbooked`` gives that command's over-booked variant of the same day (fewer technicians).
    """
    techs, visits = (int(x) for x in size.lower().split("x"))
    travel = GeodesicProvider(detour_factor=cityday.DETOUR, speed_kmh=cityday.SPEED_KMH)
    problem = citygen.generate(seed, techs, visits)
    suffix = ""
    if overbooked:
        problem, suffix = citygen.overbooked(problem), "_over"
    inst = cityday.instance_from_problem(
        problem, travel, f"gen{seed}_{len(problem.technicians)}x{visits}{suffix}")
    return cityday.from_instance(inst, settings=SolverSettings(
        detour_factor=cityday.DETOUR, travel_kmh=cityday.SPEED_KMH))


def report(city: cityday.CityDay, run: Run, check_city) -> None:
    """One table row: placed, weighted, must-do, travel, wall, CPU, validity by both checkers."""
    plan = cityday.to_check_plan(city, run.plan)
    v = verify_sequences(city.problem, city.provider, cityday.route_sequences(city, plan),
                         [city.visit_ids[i] for i in plan["unassigned"]])
    valid = "valid" if v.valid else f"INVALID ({v.errors[:2]})"
    if check_city is not None:
        official = check_city(city.instance, plan)
        valid += ", check_city " + ("valid" if official["valid"] else
                                    f"INVALID ({official['errors'][:2]})")
    print(f"| {run.label} | {v.placed_pct:.1f} % | {v.weighted_pct:.2f} % | "
          f"{v.must_do_served}/{v.must_do_total} | {v.travel_s / 3600:.1f} | {run.wall_s:.1f} | "
          f"{run.cpu_s:.1f} | {valid}{'; ' + run.note if run.note else ''} |", flush=True)


def whole(city: cityday.CityDay, limit: float) -> Run:
    """The whole day in this process, as the app solves a day below the split size."""
    t0, c0 = time.perf_counter(), time.process_time()
    plan = solve(city.problem, provider=city.provider, time_limit_s=limit)
    return Run(f"whole day, 1 process, limit {limit:g} s", plan, time.perf_counter() - t0,
               time.process_time() - c0)


def start_workers(count: int, redis_url: str, queue_name: str) -> list[subprocess.Popen]:
    """``count`` rq workers on ``queue_name``, the job module imported and the planner warmed."""
    preload = ("import sys, app.jobs.zone_solve; from app.jobs.warmup import warm_planner; "
               "warm_planner(); from rq.cli import main; sys.exit(main())")
    return [subprocess.Popen(
        [sys.executable, "-c", preload, "worker", "--url", redis_url, "--serializer",
         "rq.serializers.JSONSerializer", "--quiet", queue_name],
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    ) for _ in range(count)]


def by_zones(city: cityday.CityDay, args: argparse.Namespace, workers: int,
             redis_url: str) -> Run:
    """Split, one rq job per zone on ``workers`` workers, merge: the app's zone run, timed."""
    connection = Redis.from_url(redis_url)
    name = f"bench-zones-{uuid.uuid4().hex[:8]}"
    jobs = Queue(name, connection=connection, serializer=JSONSerializer, default_timeout=3600)
    procs = start_workers(workers, redis_url, name)
    try:
        while Worker.count(queue=jobs) < workers:  # registered once warmed
            time.sleep(0.2)
        return _zone_run(city, args, workers, jobs)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()


def _zone_run(city: cityday.CityDay, args: argparse.Namespace, workers: int, jobs: Queue) -> Run:
    problem = city.problem
    t0, c0 = time.perf_counter(), time.process_time()
    count = args.zones or zones.zone_count(len(problem.visits), workers, args.visits_per_zone)
    parts = zones.split(problem, count)
    limit = args.zone_limit or zones.zone_time_limit(args.time_limit, len(parts), workers)
    enqueued = [jobs.enqueue(solve_zone, None, p.index, wire.problem_to_data(p.problem), limit)
                for p in parts]
    results = _wait(jobs, enqueued)
    solved = time.perf_counter() - t0
    budget = args.merge_limit or zones.merge_time_limit(args.time_limit, solved)
    plans = [zone_plan_from(r) for r in results]
    # the merge's second search on a free worker, as the app's merge job starts it
    second = None if args.no_second_search else start_second_search(
        jobs, None, wire.problem_to_data(problem), plans, budget, problem.settings.seed + 1)
    plan, rep = zones.merge(problem, plans, parts, provider=city.provider, time_limit_s=budget,
                            second=second.wait if second else None)
    wall = time.perf_counter() - t0
    own = time.process_time() - c0
    second_cpu = 0.0
    if second is not None:
        second.drop()
        done = second.job.return_value(refresh=True) if second.job.is_finished else None
        second_cpu = done["cpu_s"] if done else 0.0
    cpu = own + sum(r["cpu_s"] for r in results) + second_cpu
    by_zone = sum(len(x["visit_ids"]) for r in results for x in r["routes"])
    # the wall time on free cores: split and merge here, the zones of each worker one after
    # the other (round-robin, as rq hands them out)
    rounds = [sum(r["cpu_s"] for r in results[w::workers]) for w in range(workers)]
    note = (f"critical path {own + max(rounds):.1f} CPU s (this process {own:.1f}); "
            f"{len(parts)} zones x {limit:.1f} s: {solved:.1f} s wall, {by_zone} placed; "
            f"merge {rep.seconds:.1f} s (limit {budget:.1f}): {rep.placed:+d} placed, "
            f"{rep.moved} moved, {rep.border_visits} across a border; "
            f"{rep.searches} whole-day search(es)"
            + (f" (objectives {' / '.join(str(o) for o in rep.objectives)}), "
               + ("the second's plan kept" if rep.second_kept else "the merge's own kept")
               + f", second search {second_cpu:.1f} CPU s" if rep.searches > 1 else ""))
    budget_label = (f"{args.iterations} iterations per search" if args.iterations else
                    f"limit {args.time_limit:g} s")
    return Run(f"{len(parts)} zones, {workers} rq worker(s), {budget_label}", plan,
               wall, cpu, note)


def _wait(jobs: Queue, enqueued: list[Job]) -> list[dict]:
    while True:
        fetched = Job.fetch_many([j.id for j in enqueued], connection=jobs.connection,
                                 serializer=JSONSerializer)
        states = [j.get_status() for j in fetched]
        if any(s == "failed" for s in states):
            raise RuntimeError("a zone job failed")
        if all(s == "finished" for s in states):
            return [j.return_value() for j in fetched]
        time.sleep(0.05)


def _check_city(path: str | None):
    if not path:
        return None
    spec = importlib.util.spec_from_file_location("check_city", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.validate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generated", default="360x2000", metavar="TECHSxVISITS")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--overbooked", action="store_true",
                        help="the over-booked variant of the day (as city-compare's)")
    parser.add_argument("--time-limit", type=float, default=57.0,
                        help="seconds for the whole zone run: split, zones, merge, reasons")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--whole-limits", type=float, nargs="*", default=[57.0, 114.0])
    parser.add_argument("--zones", type=int, default=0, help="zone count (0: the app's)")
    parser.add_argument("--visits-per-zone", type=int, default=Settings.zone_visits,
                        help="the app's ZONE_VISITS")
    parser.add_argument("--zone-limit", type=float, default=0.0,
                        help="seconds per zone (0: the app's share of --time-limit)")
    parser.add_argument("--merge-limit", type=float, default=0.0,
                        help="seconds for the merge (0: what is left of --time-limit)")
    parser.add_argument("--iterations", type=int, default=0,
                        help="stop every search (zones, merge, second search, whole day) after "
                             "this many iterations: results then hardly depend on the load "
                             "(give limits long enough)")
    parser.add_argument("--no-second-search", action="store_true",
                        help="merge with one whole-day search (no second search on a free "
                             "worker), as before 2026-12-01")
    parser.add_argument("--check-city", help="path of the standalone checker check_city.py")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    city = city_day(args.generated, args.seed, args.overbooked)
    if args.iterations:
        # equal work: every search stops after this many iterations (the limits only bound)
        city = replace(city, problem=replace(city.problem, settings=replace(
            city.problem.settings, search_iterations=args.iterations)))
    check_city = _check_city(args.check_city)
    ruin_recreate.warm()
    print(f"{city.name}: {len(city.technician_ids)} technicians x {len(city.visit_ids)} visits, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| solve | placed | priority-weighted | must-do | travel h | wall s | CPU s | notes |")
    print("|---|---|---|---|---|---|---|---|")
    for workers in args.workers:
        report(city, by_zones(city, args, workers, redis_url), check_city)
    for limit in args.whole_limits:
        report(city, whole(city, limit), check_city)
    print(f"load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
