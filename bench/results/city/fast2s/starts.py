import time, sys
from dispatch import cityday, bench, translate, explain, solver, ruin_recreate as rr
from dispatch.model import SolverSettings
bench._warm()
insts = [cityday.read("/work/shared/bench/city/dev_m_t90.json")]
ns = bench.argparse.Namespace(generated=["90x500"], variants=["balanced"], seed=1, files=[])
insts = bench.city_instances(ns) + insts
for inst in insts:
    city = cityday.from_instance(inst, settings=SolverSettings(seed=0, time_unit_s=1), file_weights=True)
    p = city.problem
    tr = translate.build(p, city.provider, explain.precheck(p), exact_breaks=True)
    core = tr.core
    for k in (0, 2, 3):
        cfg = rr.RuinRecreateConfig(max_iterations=0, regret_start=k > 0, regret_k=max(k, 2))
        c0 = time.process_time()
        sol = rr.improve(core, [[] for _ in core.vehicles], 60, cfg)
        c = time.process_time() - c0
        print(inst.get("name"), "k", k, "placed", len(core.nodes) - len(sol.dropped), "obj", sol.objective, f"cpu {c:.3f}")
print("--- with polish")
for inst in insts:
    city = cityday.from_instance(inst, settings=SolverSettings(seed=0, time_unit_s=1), file_weights=True)
    p = city.problem
    tr = translate.build(p, city.provider, explain.precheck(p), exact_breaks=True)
    core = tr.core
    for k in (0, 3):
        cfg = rr.RuinRecreateConfig(max_iterations=0, regret_start=k > 0, regret_k=max(k, 2))
        c0 = time.process_time()
        sol = rr.improve(core, [[] for _ in core.vehicles], 60, cfg)
        for r in range(3):
            sol = rr.polish(core, sol.routes, cfg)
            c = time.process_time() - c0
            print(inst.get("name"), "k", k, "polish", r, "placed", len(core.nodes) - len(sol.dropped), "obj", sol.objective, f"cpu {c:.3f}")
