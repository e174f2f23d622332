"""Solve a large city by zones: partition, solve zones in parallel processes, repair borders."""

from __future__ import annotations

import multiprocessing as mp
import random
from dataclasses import replace

import numpy as np

from dispatch.model import Plan, Problem, Unassigned
from dispatch.travel import MatrixProvider


def _kmeans(points: np.ndarray, k: int, seed: int, rounds: int = 20) -> np.ndarray:
    rng = random.Random(seed)
    centers = points[rng.sample(range(len(points)), k)]
    for _ in range(rounds):
        labels = np.argmin(((points[:, None, :] - centers[None, :, :]) ** 2).sum(-1), axis=1)
        for c in range(k):
            if np.any(labels == c):
                centers[c] = points[labels == c].mean(axis=0)
    return centers


def partition(problem: Problem, zones: int) -> list[Problem]:
    """Split technicians and visits into ``zones`` geographic zones (k-means on start points).

    Technicians are clustered on their first shift's start, then visits go to the nearest zone
    centre; visits without a location stay in zone 0 so they are still reported.
    """
    starts = np.array([t.shifts[0].start_location for t in problem.technicians if t.shifts])
    techs = [t for t in problem.technicians if t.shifts]
    k = max(1, min(zones, len(techs)))
    centers = _kmeans(starts, k, problem.settings.seed)
    # balance technicians: each goes to its nearest centre in order of closeness
    t_labels = np.argmin(((starts[:, None, :] - centers[None, :, :]) ** 2).sum(-1), axis=1)
    groups: list[tuple[list, list]] = [([], []) for _ in range(k)]
    for tech, lab in zip(techs, t_labels, strict=True):
        groups[lab][0].append(tech)
    for visit in problem.visits:
        if visit.location is None:
            groups[0][1].append(visit)
            continue
        d = ((centers - np.array(visit.location)) ** 2).sum(-1)
        groups[int(np.argmin(d))][1].append(visit)
    return [replace(problem, technicians=t, visits=v) for t, v in groups if t or v]


def _solve_zone(args) -> Plan:
    from dispatch.solver import solve

    zone, provider, limit = args
    return solve(zone, provider=provider,
                 settings=replace(zone.settings, workers=1, time_limit_s=limit))


def merge(problem: Problem, plans: list[Plan], provider: MatrixProvider | None = None) -> Plan:
    """One plan from zone plans, re-inserting unassigned visits anywhere in the city."""
    from dispatch.explain import audit, precheck
    from dispatch.insertion import repair
    from dispatch.translate import build, plan_from_routes

    excluded = precheck(problem)
    tr = build(problem, provider, excluded, exact_breaks=False)
    index = {(t.id, s.day): v for v, (t, s) in enumerate(tr.vehicles)}
    routes: list[list[int]] = [[] for _ in tr.vehicles]
    for plan in plans:
        for r in plan.routes:
            routes[index[(r.technician_id, r.day)]] = [tr.visit_node[s.visit_id] for s in r.stops]
    # border repair: a visit its zone could not take may fit a neighbouring zone's technician
    dropped = [tr.visit_node[u.visit_id] for p in plans for u in p.unassigned
               if u.visit_id in tr.visit_node]
    dropped = repair(tr.core, routes, dropped)
    unassigned = [Unassigned(vid, reasons) for vid, reasons in excluded.items()]
    unassigned += audit(tr, routes, dropped)
    return plan_from_routes(tr, routes, unassigned)


def solve_by_zones(problem: Problem, provider: MatrixProvider | None = None,
                   progress=None) -> Plan:
    """Partition into ``settings.workers`` zones, solve them in parallel, merge and repair.

    Zones run ``cpu_count()`` at a time; each gets a share of ``settings.time_limit_s`` so the
    whole call stays near the limit.
    """
    workers = problem.settings.workers
    zones = partition(problem, workers)
    if progress is not None:
        progress("zones", len(zones))
    procs = min(len(zones), mp.cpu_count())
    # zones run in rounds of `procs`; split the time limit so the whole fits in it, keeping
    # 15% for merging and border repair
    rounds = -(-len(zones) // procs)
    limit = max(1.0, 0.85 * problem.settings.time_limit_s / rounds)
    ctx = mp.get_context("fork")
    with ctx.Pool(procs) as pool:
        plans = pool.map(_solve_zone, [(z, provider, limit) for z in zones])
    if progress is not None:
        progress("repair", 0)
    return merge(problem, plans, provider)
