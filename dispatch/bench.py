"""Benchmarks: ``python -m dispatch.bench solomon|city|insertion ...`` (see ``--help``)."""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from dispatch import citygen, solomon
from dispatch.ruin_recreate import RuinRecreateConfig
from dispatch.solver import SearchConfig, solve, solve_core, solve_core_portfolio

# Two complementary searches, one per core, best valid kept. Both end in the SISR
# ruin-and-recreate search (dispatch.ruin_recreate), from different starts for diversity:
# OR-Tools (parallel cheapest insertion + GLS, customers droppable at a large penalty so it never
# fails on tight windows) for the first fifth of the time, then SISR from its solution with a
# warmer start temperature; and SISR alone from its own greedy insertion. These are the settings
# of the results in docs/benchmarks.md.
ENGINE = [
    SearchConfig(first_solution="PARALLEL_CHEAPEST_INSERTION", ruin_recreate_share=0.8,
                 ruin_recreate=RuinRecreateConfig(seed=1, t_start=2.0, avg_removed=15)),
    SearchConfig(ruin_recreate_only=True,
                 ruin_recreate=RuinRecreateConfig(seed=2, avg_removed=15, t_start=0.5)),
]
BASELINE = SearchConfig(first_solution="PATH_CHEAPEST_ARC", mandatory=True)


def _run(inst: solomon.SolomonInstance, which: str, limit: float, workers: int):
    core = solomon.to_core(inst)
    t0 = time.perf_counter()
    if which == "engine":
        configs = [replace(c, time_limit_s=limit) for c in ENGINE[:workers]]
        sol = solve_core_portfolio(core, configs)
    else:
        # plain OR-Tools: every customer mandatory, path-cheapest-arc then GLS
        sol = solve_core(core, replace(BASELINE, time_limit_s=limit))
    elapsed = time.perf_counter() - t0
    if not sol.found:
        return None, elapsed
    return sol.routes, elapsed


def cmd_solomon(args: argparse.Namespace) -> int:
    """Run the engine and the plain baseline on Solomon-format files; print and save results."""
    bks = solomon.load_bks(args.bks) if args.bks else {}
    rows = []
    solvers = ["engine"] if args.no_baseline else ["engine", "baseline"]
    print(f"{'instance':10} {'solver':8} {'dist':>9} {'veh':>4} {'gap%':>7} {'time':>6} valid")
    for path in args.files:
        inst = solomon.load(path)
        for which in solvers:
            routes, elapsed = _run(inst, which, args.time_limit, args.workers)
            row = {"instance": inst.name, "solver": which, "time_s": round(elapsed, 1)}
            if routes is None:
                row.update(distance=None, vehicles=None, gap_pct=None, valid=False)
            else:
                res = solomon.check(inst, [list(r) for r in routes])
                best = bks.get(inst.name, (None, None))[1]
                gap = 100 * (res.distance - best) / best if best else None
                row.update(distance=round(res.distance, 1), vehicles=res.vehicles,
                           gap_pct=None if gap is None else round(gap, 2), valid=res.valid)
                if args.routes and which == "engine":
                    out = Path(args.routes)
                    out.mkdir(parents=True, exist_ok=True)
                    (out / f"{inst.name}.sol").write_text(
                        solomon.format_routes(routes, res.distance))
            rows.append(row)
            _print_row(row)
    _print_summary(rows, solvers)
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return 0


def _print_row(row: dict) -> None:
    dist = "none" if row["distance"] is None else f"{row['distance']:.1f}"
    gap = "-" if row["gap_pct"] is None else f"{row['gap_pct']:.2f}"
    veh = "-" if row["vehicles"] is None else row["vehicles"]
    print(f"{row['instance']:10} {row['solver']:8} {dist:>9} {veh!s:>4} {gap:>7} "
          f"{row['time_s']:>6} {'valid' if row['valid'] else 'INVALID'}", flush=True)


def _print_summary(rows: list[dict], solvers: list[str]) -> None:
    for which in solvers:
        mine = [r for r in rows if r["solver"] == which]
        for family, pick in (("solomon", lambda r: "_" not in r["instance"]),
                             ("homberger", lambda r: "_" in r["instance"])):
            sel = [r for r in mine if pick(r)]
            if not sel:
                continue
            valid = [r for r in sel if r["valid"] and r["gap_pct"] is not None]
            avg = statistics.mean(r["gap_pct"] for r in valid) if valid else float("nan")
            print(f"AVERAGE {which:8} {family:9}: valid {len(valid)}/{len(sel)}, "
                  f"mean gap over valid {avg:.2f}%")


def _city_line(label: str, plan, elapsed: float, total: int) -> None:
    k = plan.kpis
    print(f"{label:22} time {elapsed:6.1f}s  assigned {k.assigned}/{total} "
          f"({100 * k.assigned / total:.1f}%)  on-time {100 * k.on_time_share:.1f}%  "
          f"travel {k.travel_km:.0f} km  sla misses {k.sla_misses}", flush=True)


def cmd_city(args: argparse.Namespace) -> int:
    """Solve a generated city whole and/or by zones and print KPIs."""
    problem = citygen.generate(args.seed, args.techs, args.visits, days=args.days)
    modes = {"whole": [1], "zones": [args.zones], "both": [1, args.zones]}[args.mode]
    for workers in modes:
        settings = replace(problem.settings, time_limit_s=args.time_limit, workers=workers)
        t0 = time.perf_counter()
        plan = solve(problem, settings=settings)
        label = "whole" if workers == 1 else f"{workers} zones"
        _city_line(f"{args.techs}x{args.visits} {label}", plan, time.perf_counter() - t0,
                   args.visits)
    return 0


def cmd_insertion(args: argparse.Namespace) -> int:
    """Time insert_visit of new visits into a solved city day."""
    from dispatch.insertion import insert_visit

    problem = citygen.generate(args.seed, args.techs, args.visits)
    plan = solve(problem, time_limit_s=args.time_limit)
    extra = citygen.generate(args.seed + 1, 1, args.inserts).visits
    times, placed = [], 0
    for v in extra:
        v = replace(v, id=f"N{v.id}")
        t0 = time.perf_counter()
        new_plan = insert_visit(plan, problem, v)
        times.append(time.perf_counter() - t0)
        placed += new_plan.route_of(v.id) is not None
    print(f"insert_visit into {args.techs} technicians / {plan.kpis.assigned} planned visits: "
          f"median {1000 * statistics.median(times):.0f} ms, max {1000 * max(times):.0f} ms, "
          f"placed {placed}/{len(extra)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m dispatch.bench")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solomon", help="Solomon/Homberger VRPTW instances against BKS")
    s.add_argument("files", nargs="+")
    s.add_argument("--bks")
    s.add_argument("--time-limit", type=float, default=10.0)
    s.add_argument("--workers", type=int, default=2, help="parallel search processes (max 2)")
    s.add_argument("--csv")
    s.add_argument("--routes")
    s.add_argument("--no-baseline", action="store_true")
    s.set_defaults(func=cmd_solomon)
    c = sub.add_parser("city", help="generated field-service city")
    c.add_argument("--techs", type=int, default=50)
    c.add_argument("--visits", type=int, default=500)
    c.add_argument("--days", type=int, default=1)
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--time-limit", type=float, default=30.0)
    c.add_argument("--zones", type=int, default=2)
    c.add_argument("--mode", choices=["whole", "zones", "both"], default="both")
    c.set_defaults(func=cmd_city)
    i = sub.add_parser("insertion", help="in-day insert_visit latency")
    i.add_argument("--techs", type=int, default=50)
    i.add_argument("--visits", type=int, default=500)
    i.add_argument("--inserts", type=int, default=20)
    i.add_argument("--seed", type=int, default=1)
    i.add_argument("--time-limit", type=float, default=20.0)
    i.set_defaults(func=cmd_insertion)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
