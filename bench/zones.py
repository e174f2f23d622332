"""A large generated day solved whole (one process) and by zones on 1 and 2 real rq workers.

Usage: python bench/zones.py [--techs 90] [--visits 500] [--zone-limit 15]
                             [--whole-limits 30 15] [--workers 1 2]
Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/0); no database: the zone jobs are the
app's `solve_zone` jobs without a run. Workers are `rq worker` processes started here on a
queue of their own, before the clock starts. Every zone gets ``--zone-limit`` seconds whatever
the number of workers, so the same work is done with 1 and 2 workers (the speed-up is the ratio
of wall times); the whole day is solved at each of ``--whole-limits`` (e.g. the zones' total
CPU budget and the wall time of 2 workers). Every plan is re-simulated by dispatch.verify.
Reports placed share, priority-weighted share,
travel hours, wall seconds and CPU seconds (this process plus every zone job).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid

from redis import Redis
from rq import Queue, Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from app.jobs.zone_solve import solve_zone, zone_plan_from
from dispatch import GeodesicProvider, Plan, Problem, citygen, solve, wire, zones
from dispatch.verify import verify_plan

VISITS_PER_ZONE = 250


def line(label: str, problem: Problem, plan: Plan, wall: float, cpu: float,
         extra: str = "") -> None:
    v = verify_plan(problem, plan, GeodesicProvider())
    valid = "valid" if v.valid else f"INVALID ({len(v.errors)} errors: {v.errors[:2]})"
    print(f"| {label} | {v.placed_pct:.1f} % | {v.weighted_pct:.1f} % | "
          f"{v.must_do_served}/{v.must_do_total} | {v.travel_s / 3600:.1f} | {wall:.1f} | "
          f"{cpu:.1f} | {valid}{'; ' + extra if extra else ''} |", flush=True)


def whole(problem: Problem, limit: float) -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    plan = solve(problem, time_limit_s=limit)
    line(f"whole day, 1 process, limit {limit:g} s", problem, plan, time.perf_counter() - t0,
         time.process_time() - c0)


def start_workers(count: int, redis_url: str, queue_name: str) -> list[subprocess.Popen]:
    # the job's modules are imported once in the worker, as `flask rq-worker` does, not in
    # every forked work horse
    preload = "import sys, app.jobs.zone_solve; from rq.cli import main; sys.exit(main())"
    procs = [subprocess.Popen(
        [sys.executable, "-c", preload, "worker", "--url", redis_url, "--serializer",
         "rq.serializers.JSONSerializer", "--quiet", queue_name],
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    ) for _ in range(count)]
    return procs


def by_zones(problem: Problem, zone_limit: float, workers: int, redis_url: str) -> None:
    connection = Redis.from_url(redis_url)
    name = f"bench-zones-{uuid.uuid4().hex[:8]}"
    jobs = Queue(name, connection=connection, serializer=JSONSerializer, default_timeout=3600)
    procs = start_workers(workers, redis_url, name)
    try:
        while Worker.count(queue=jobs) < workers:
            time.sleep(0.2)
        t0, c0 = time.perf_counter(), time.process_time()
        parts = zones.split(problem, zones.zone_count(len(problem.visits), workers,
                                                      VISITS_PER_ZONE))
        enqueued = [jobs.enqueue(solve_zone, None, p.index, wire.problem_to_data(p.problem),
                                 zone_limit) for p in parts]
        while True:
            fetched = Job.fetch_many([j.id for j in enqueued], connection=connection,
                                     serializer=JSONSerializer)
            states = [j.get_status() for j in fetched]
            if any(s == "failed" for s in states):
                raise RuntimeError("a zone job failed")
            if all(s == "finished" for s in states):
                break
            time.sleep(0.1)
        results = [j.return_value() for j in fetched]
        solved = time.perf_counter() - t0
        left = max(1.0, zones.REPAIR_SHARE * zone_limit * len(parts))
        plan, report = zones.merge(problem, [zone_plan_from(r) for r in results], parts,
                                   time_limit_s=left)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0 + sum(r["cpu_s"] for r in results)
        zone_placed = sum(len(v) for r in results for v in (x["visit_ids"] for x in r["routes"]))
        line(f"{len(parts)} zones, {workers} rq worker(s)", problem, plan, wall, cpu,
             f"zones {solved:.1f} s ({zone_limit:.1f} s each), placed by zones {zone_placed}, "
             f"repair +{report.placed} placed, {report.moved} moved, {report.seconds:.1f} s")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--techs", type=int, default=90)
    parser.add_argument("--visits", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--zone-limit", type=float, default=15.0)
    parser.add_argument("--whole-limits", type=float, nargs="*", default=[30.0, 15.0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    problem = citygen.generate(args.seed, args.techs, args.visits)
    print(f"{args.techs} technicians x {args.visits} visits, seed {args.seed}, "
          f"{args.zone_limit:g} s per zone")
    print("| solve | placed | priority-weighted | must-do | travel h | wall s | CPU s | notes |")
    print("|---|---|---|---|---|---|---|---|")
    for limit in args.whole_limits:
        whole(problem, limit)
    for workers in args.workers:
        by_zones(problem, args.zone_limit, workers, redis_url)


if __name__ == "__main__":
    main()
