"""Benchmarks: ``python -m dispatch.bench solomon|city|city-compare|insertion ...`` (``--help``)."""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dispatch import baselines, cityday, citygen, ruin_recreate, solomon
from dispatch.model import SolverSettings
from dispatch.ruin_recreate import RuinRecreateConfig
from dispatch.solver import SearchConfig, solve, solve_core, solve_core_portfolio
from dispatch.travel import GeodesicProvider
from dispatch.verify import Verdict, verify_plan, verify_sequences

# The engine: SISR ruin-and-recreate (dispatch.ruin_recreate) from its own greedy insertion,
# about 10 stops removed per iteration, the temperature falling once over the whole limit from
# 1.0 to 0.01 times the average arc. One process runs the first configuration; two processes run
# it with two seeds, best valid kept. With ``--clock cpu`` (the default) each process stops
# after the limit in CPU seconds of its own, so results do not depend on how loaded the machine
# is. These are the settings of the results in docs/benchmarks.md.
ENGINE = [
    SearchConfig(ruin_recreate_only=True,
                 ruin_recreate=RuinRecreateConfig(seed=seed, avg_removed=10, t_start=1.0,
                                                  anneal_by_time=True))
    for seed in (1, 2)
]
BASELINE = SearchConfig(first_solution="PATH_CHEAPEST_ARC", mandatory=True)


def engine_configs(workers: int, limit: float, cpu_clock: bool) -> list[SearchConfig]:
    """The first ``workers`` engine searches at ``limit`` seconds (CPU seconds with cpu_clock)."""
    return [replace(c, time_limit_s=limit,
                    ruin_recreate=replace(c.ruin_recreate, cpu_clock=cpu_clock))
            for c in ENGINE[:workers]]


def _run(inst: solomon.SolomonInstance, which: str, limit: float, cpu_clock: bool):
    core = solomon.to_core(inst)
    c0, t0 = cpu_seconds(), time.perf_counter()
    if which.startswith("engine"):
        # "engine1p": the first search alone in this process; "engine2p": both in parallel
        workers = int(which[len("engine"):-1])
        sol = solve_core_portfolio(core, engine_configs(workers, limit, cpu_clock))
    else:
        # plain OR-Tools: every customer mandatory, path-cheapest-arc then GLS
        sol = solve_core(core, replace(BASELINE, time_limit_s=limit))
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    return (sol.routes if sol.found else None), elapsed, cpu


def cmd_solomon(args: argparse.Namespace) -> int:
    """Run the engine (one and/or two processes) and the plain baseline; print and save results."""
    _warm()
    bks = solomon.load_bks(args.bks) if args.bks else {}
    rows = []
    solvers = [f"engine{w}p" for w in args.workers]
    if not args.no_baseline:
        solvers.append("baseline")
    print(f"{'instance':10} {'solver':9} {'dist':>9} {'veh':>4} {'gap%':>7} {'wall':>6} "
          f"{'cpu':>6} valid")
    for path in args.files:
        inst = solomon.load(path)
        for which in solvers:
            routes, elapsed, cpu = _run(inst, which, args.time_limit, args.clock == "cpu")
            row = {"instance": inst.name, "solver": which, "time_s": round(elapsed, 1),
                   "cpu_s": round(cpu, 1)}
            if routes is None:
                row.update(distance=None, vehicles=None, gap_pct=None, valid=False)
            else:
                res = solomon.check(inst, [list(r) for r in routes])
                best = bks.get(inst.name, (None, None))[1]
                gap = 100 * (res.distance - best) / best if best else None
                row.update(distance=round(res.distance, 1), vehicles=res.vehicles,
                           gap_pct=None if gap is None else round(gap, 2), valid=res.valid)
                if args.routes and which.startswith("engine"):
                    out = Path(args.routes) / which
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
    print(f"{row['instance']:10} {row['solver']:9} {dist:>9} {veh!s:>4} {gap:>7} "
          f"{row['time_s']:>6} {row['cpu_s']:>6} {'valid' if row['valid'] else 'INVALID'}",
          flush=True)


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
            cpu = statistics.mean(r["cpu_s"] for r in sel)
            print(f"AVERAGE {which:9} {family:9}: valid {len(valid)}/{len(sel)}, "
                  f"mean gap over valid {avg:.2f}%, mean CPU {cpu:.1f} s")


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


def cmd_time_limit(args: argparse.Namespace) -> int:
    """Time whole solves against their limits: how far past the limit does a call return?"""
    from dispatch import ruin_recreate

    problem = citygen.generate(args.seed, args.techs, args.visits)
    ruin_recreate.warm()  # compiled code loaded before the clock starts, as a worker does
    print("| limit | wall | over the limit | CPU | assigned |")
    print("|---|---|---|---|---|")
    for limit in args.limits:
        c0, t0 = cpu_seconds(), time.perf_counter()
        plan = solve(problem, time_limit_s=limit)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        print(f"| {limit:g} s | {wall:.2f} s | {1000 * (wall - limit):+.0f} ms | {cpu:.2f} s | "
              f"{plan.kpis.assigned} |")
    return 0


def cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and of its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class Measured:
    """What one solver returned on one instance, with its wall and CPU seconds."""

    plan: dict[str, Any] | None
    wall_s: float
    cpu_s: float
    note: str = ""


def measure(run: Callable[[], dict[str, Any] | None]) -> Measured:
    """Run ``run`` and time it (wall and process CPU, threads and children included)."""
    c0, t0 = cpu_seconds(), time.perf_counter()
    plan = run()
    return Measured(plan, time.perf_counter() - t0, cpu_seconds() - c0)


class CpuClock:
    """The ``time`` module with ``perf_counter`` reading this process's CPU seconds."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def perf_counter() -> float:
        return time.process_time()


def cpu_clocked_planner() -> None:
    """Make the planner's deadlines (search, explanations, timing) count CPU seconds.

    Benchmarks only: on a machine other work loads, a solve then gets the CPU an idle machine
    gives in its wall limit (one process, one thread). This module's own wall clock is kept.
    """
    for module in planner_clock_modules():
        module.time = CpuClock()


def planner_clock_modules() -> tuple[Any, ...]:
    """The planner's modules whose ``time`` sets its deadlines (see :class:`CpuClock`)."""
    from dispatch import explain, insertion, solver, zones

    return (explain, insertion, ruin_recreate, solver, zones)


def city_instances(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The generated days (balanced, optionally over-booked) and the given city-day files."""
    out = []
    travel = GeodesicProvider(detour_factor=cityday.DETOUR, speed_kmh=cityday.SPEED_KMH)
    for size in args.generated:
        techs, visits = (int(x) for x in size.lower().split("x"))
        day = citygen.generate(args.seed, techs, visits)
        variants = []
        if "balanced" in args.variants:
            variants.append(("", day))
        if "overbooked" in args.variants:
            variants.append(("_over", citygen.overbooked(day)))
        for suffix, problem in variants:
            name = f"gen{args.seed}_{len(problem.technicians)}x{visits}{suffix}"
            out.append(cityday.instance_from_problem(problem, travel, name))
    for path in args.files:
        out.append(cityday.read(path))
    return out


def _check_city(path: str | None):
    if not path or not Path(path).exists():
        return None
    spec = importlib.util.spec_from_file_location("check_city", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.validate


def _run_solver(which: str, city: cityday.CityDay, args: argparse.Namespace
                ) -> tuple[Measured, list[str]]:
    inst = city.instance
    extra: list[str] = []
    if which == "ours":
        holder = {}

        def run():
            plan = solve_problem(city, args.time_limit, args.iterations)
            holder["plan"] = plan
            return cityday.to_check_plan(city, plan)

        m = measure(run)
        # our plans also report times: check them too
        extra = verify_plan(city.problem, holder["plan"], city.provider).errors
        return m, extra
    if which == "vroom":
        try:
            import vroom  # noqa: F401
        except ImportError:
            return Measured(None, 0, 0, "pyvroom not installed: pip install -e '.[bench]'"), []
        return measure(lambda: baselines.solve_vroom(
            inst, args.vroom_exploration, args.vroom_threads)), []
    if which == "ortools":
        def run():
            plan = baselines.solve_ortools(inst, args.time_limit)
            return plan if plan.pop("found", True) else None

        m = measure(run)
        if m.plan is None:
            m.note = f"no solution in {args.time_limit:g} s"
        return m, []
    raise ValueError(f"unknown solver {which}")


def solve_problem(city: cityday.CityDay, time_limit_s: float, iterations: int | None = None):
    """Our planner on a city day, as the app calls it (one process).

    ``iterations`` stops the search after that many iterations (equal work whatever the load
    of the machine; the time limit still bounds the call).
    """
    settings = replace(city.problem.settings, time_limit_s=time_limit_s,
                       search_iterations=iterations)
    return solve(city.problem, provider=city.provider, settings=settings)


def _city_row(name: str, which: str, city: cityday.CityDay, m: Measured, verdict: Verdict | None,
              extra: list[str], official: dict[str, Any] | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "instance": name, "solver": which, "technicians": len(city.technician_ids),
        "visits": len(city.visit_ids), "wall_s": round(m.wall_s, 1), "cpu_s": round(m.cpu_s, 1),
        "note": m.note,
    }
    if which == "ours":
        row["time_unit_s"] = city.problem.settings.time_unit_s
        row["seed"] = city.problem.settings.seed
    if verdict is not None:
        errors = verdict.errors + extra
        row.update(placed=verdict.assigned, placed_pct=round(verdict.placed_pct, 1),
                   weighted_pct=round(verdict.weighted_pct, 1),
                   must_do=f"{verdict.must_do_served}/{verdict.must_do_total}",
                   travel_h=round(verdict.travel_s / 3600, 1), valid=not errors,
                   errors="; ".join(errors[:3]))
    if official is not None:
        row["check_city"] = "valid" if official["valid"] else "INVALID: " + "; ".join(
            official["errors"][:3])
    return row


def _print_city_row(row: dict[str, Any]) -> None:
    if "placed_pct" not in row:
        print(f"{row['instance']:22} {row['solver']:8} {row['note']}  "
              f"wall {row['wall_s']} s  cpu {row['cpu_s']} s", flush=True)
        return
    unit = f" {row['time_unit_s']:>2} s" if "time_unit_s" in row else "     "
    print(f"{row['instance']:22} {row['solver']:8}{unit} placed {row['placed']:4} "
          f"{row['placed_pct']:5.1f}%  "
          f"weighted {row['weighted_pct']:5.1f}%  must-do {row['must_do']:>9}  "
          f"travel {row['travel_h']:6.1f} h  wall {row['wall_s']:6.1f} s  "
          f"cpu {row['cpu_s']:6.1f} s  {'valid' if row['valid'] else 'INVALID'}"
          f"{'' if 'check_city' not in row else '  check_city ' + row['check_city']}"
          f"{'  ' + row['errors'] if row['errors'] else ''}", flush=True)


def _warm() -> None:
    # compiled search kernels load (or compile, once per install) outside any measured solve,
    # as a long-lived worker does at start
    warm = getattr(ruin_recreate, "warm", None)
    if warm is not None:
        warm()


def _solver_runs(args: argparse.Namespace) -> list[tuple[str, int]]:
    """(solver, seed) pairs: ours once per ``--solver-seeds``, the others once."""
    return [(which, seed) for which in args.solvers
            for seed in (args.solver_seeds if which == "ours" else args.solver_seeds[:1])]


def _weights(spec: str) -> tuple[int, ...]:
    """``--drop-weights``: "product" (the planner's default) or five integers "1,3,8,50,100"."""
    if spec == "product":
        return SolverSettings().priority_weights
    return tuple(int(w) for w in spec.split(","))


def cmd_city_compare(args: argparse.Namespace) -> int:
    """Our planner, VROOM and plain OR-Tools on the same city days; every plan re-simulated."""
    _warm()
    if args.clock == "cpu":
        cpu_clocked_planner()
    official = _check_city(args.check_city)
    rows = []
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    for inst in city_instances(args):
        name = inst.get("name", "city")
        for which, seed in _solver_runs(args):
            settings = SolverSettings(seed=seed, time_unit_s=args.time_unit or
                                      cityday.CITY_TIME_UNIT_S)
            if args.drop_weights != "file":
                settings = replace(settings, priority_weights=_weights(args.drop_weights))
            city = cityday.from_instance(inst, settings=settings,
                                         file_weights=args.drop_weights == "file")
            if args.visit_value is not None:
                city = replace(city, problem=replace(city.problem, settings=replace(
                    city.problem.settings, visit_value=args.visit_value)))
            m, extra = _run_solver(which, city, args)
            verdict = official_res = None
            if m.plan is not None:
                verdict = verify_sequences(city.problem, city.provider,
                                           cityday.route_sequences(city, m.plan),
                                           [city.visit_ids[i] for i in m.plan["unassigned"]])
                if official is not None:
                    official_res = official(inst, m.plan)
                if out:
                    (out / f"{name}.{which}.json").write_text(json.dumps(m.plan))
            row = _city_row(name, which, city, m, verdict, extra, official_res)
            if which == "ours":
                row["note"] = (f"{row['note']} seed {seed} weights {args.drop_weights} "
                               f"visit value {city.problem.settings.visit_value}").strip()
            rows.append(row)
            _print_city_row(row)
    if args.csv and rows:
        fields = list(dict.fromkeys(k for r in rows for k in r))
        with open(args.csv, "a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            if fh.tell() == 0:
                writer.writeheader()
            writer.writerows(rows)
    return 0 if all(r.get("valid", True) for r in rows) else 1


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m dispatch.bench")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solomon", help="Solomon/Homberger VRPTW instances against BKS")
    s.add_argument("files", nargs="+")
    s.add_argument("--bks")
    s.add_argument("--time-limit", type=float, default=10.0,
                   help="seconds per search process (the baseline: always wall seconds)")
    s.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                   help="count the engine's limit in CPU seconds of each process (default) or "
                        "wall seconds")
    s.add_argument("--workers", type=int, nargs="+", default=[2],
                   help="parallel search processes of the engine, one run per value (1 and/or 2)")
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
    cc = sub.add_parser("city-compare", help="our planner, VROOM and OR-Tools on city days")
    cc.add_argument("files", nargs="*", help="city-day JSON files (../shared/bench/city/*.json)")
    cc.add_argument("--generated", nargs="*", default=[], metavar="TECHSxVISITS",
                    help="generated days, e.g. 30x150 90x500")
    cc.add_argument("--variants", nargs="+", choices=["balanced", "overbooked"],
                    default=["balanced", "overbooked"],
                    help="generated days at load 0.75 and/or the same visits at 1.35")
    cc.add_argument("--seed", type=int, default=1)
    cc.add_argument("--solvers", nargs="+", default=["ours", "vroom", "ortools"],
                    choices=["ours", "vroom", "ortools"])
    cc.add_argument("--time-limit", type=float, default=30.0,
                    help="seconds for our planner and for OR-Tools")
    cc.add_argument("--iterations", type=int, default=None,
                    help="stop our search after this many iterations (equal work on a loaded "
                         "machine; --time-limit still bounds the call)")
    cc.add_argument("--time-unit", type=int, default=None, metavar="SECONDS",
                    help="our planner's time resolution (a divisor of 60); default: the "
                         "city-day loader's (cityday.CITY_TIME_UNIT_S)")
    cc.add_argument("--solver-seeds", type=int, nargs="+", default=[0],
                    help="run our planner once per search seed")
    cc.add_argument("--drop-weights", default="file",
                    help="our drop penalty's priority weights: 'file' (the day's own, default), "
                         "'product' (the planner's default) or five integers '1,3,8,50,100'")
    cc.add_argument("--visit-value", type=int, default=None,
                    help="our SolverSettings.visit_value (travel seconds a placed visit is "
                         "worth); default: the largest with the file's weights, else 0")
    cc.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="count our planner's --time-limit in wall seconds (as the app does, "
                         "default) or in CPU seconds of this process: on a loaded machine, "
                         "what the limit gives on an idle one")
    cc.add_argument("--vroom-exploration", type=int, default=1)
    cc.add_argument("--vroom-threads", type=int, default=2)
    cc.add_argument("--check-city", default="../shared/bench/city/check_city.py",
                    help="the standalone checker, run on every plan when present")
    cc.add_argument("--csv", help="append the rows to this CSV file")
    cc.add_argument("--out", help="write each plan as <instance>.<solver>.json here")
    cc.set_defaults(func=cmd_city_compare)
    i = sub.add_parser("insertion", help="in-day insert_visit latency")
    i.add_argument("--techs", type=int, default=50)
    i.add_argument("--visits", type=int, default=500)
    i.add_argument("--inserts", type=int, default=20)
    i.add_argument("--seed", type=int, default=1)
    i.add_argument("--time-limit", type=float, default=20.0)
    i.set_defaults(func=cmd_insertion)
    tl = sub.add_parser("time-limit", help="whole solves against their time limits")
    tl.add_argument("--techs", type=int, default=10)
    tl.add_argument("--visits", type=int, default=150)
    tl.add_argument("--seed", type=int, default=1)
    tl.add_argument("--limits", type=float, nargs="+", default=[0.5, 1.0, 2.0, 5.0])
    tl.set_defaults(func=cmd_time_limit)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
