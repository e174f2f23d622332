"""Phase timing of one solve() on a city day: wall and CPU per phase."""
import sys, time, json, functools
from dataclasses import replace
from dispatch import cityday, solver, explain, translate, ruin_recreate as rr, kernels as kn
from dispatch import insertion, bench
from dispatch.model import SolverSettings

path, limit, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
rec = []
def wrap(mod, name, label):
    f = getattr(mod, name)
    @functools.wraps(f)
    def g(*a, **k):
        c0, t0 = time.process_time(), time.perf_counter()
        r = f(*a, **k)
        rec.append((label, time.perf_counter() - t0, time.process_time() - c0))
        return r
    setattr(mod, name, g)
wrap(explain, "precheck", "precheck")
wrap(translate, "build", "translate.build")
wrap(rr, "_Arrays", "rr arrays")
wrap(rr._Search, "construct", "rr construct (start + final refill)")
wrap(rr._Search, "run", "rr search batches")
wrap(rr, "_solution", "rr solution read-back")
wrap(rr, "is_feasible", "rr is_feasible")
wrap(insertion, "place_displacing", "place_displacing")
wrap(explain, "audit", "explain.audit")
wrap(translate, "plan_from_routes", "plan_from_routes")
bench._warm(); rec.clear()
inst = cityday.read(path)
settings = SolverSettings(seed=seed, time_unit_s=cityday.CITY_TIME_UNIT_S)
city = cityday.from_instance(inst, settings=settings, file_weights=True)
stats = rr.SearchStats()
orig_improve = rr.improve
def improve(*a, **k):
    k["stats"] = stats
    return orig_improve(*a, **k)
rr.improve = improve
c0, t0 = time.process_time(), time.perf_counter()
plan = bench.solve_problem(city, limit)
chk = cityday.to_check_plan(city, plan)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
agg = {}
for label, w, c in rec:
    a = agg.setdefault(label, [0, 0.0, 0.0]); a[0] += 1; a[1] += w; a[2] += c
for label, (n, w, c) in agg.items():
    print(f"{label:40} calls {n:5}  wall {w:6.3f}  cpu {c:6.3f}")
print(f"iterations {stats.iterations} construct_s {stats.construct_s:.3f} search_s {stats.search_s:.3f}")
print(f"TOTAL wall {wall:.3f} cpu {cpu:.3f} placed {len(city.visit_ids) - len(chk['unassigned'])}")
